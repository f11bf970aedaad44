"""Insights: a teacher's growth and the district views; types only, reached from people.
May import frameworks, people, personalization, context; plans and resources only lazily."""

__all__: list[str] = []
