"""People: users, teachers and schools within the viewer's reach, teacher profiles and focus elements.

May import the services kernel (access, common, errors), models and :mod:`..frameworks`.
"""
