"""People: users, teachers and schools within the viewer's reach, teacher profiles and focus elements;
a district admin's management of users (:mod:`.admin`), schools, caseloads and district goals
(:mod:`.organisation`); the operator's districts (:mod:`.districts`).

May import the services kernel (access, common, errors, inputs), models and :mod:`..frameworks`.
"""
