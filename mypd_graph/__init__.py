"""mypd_graph: personalized teacher professional development as a GraphQL service."""

__version__ = "0.1.0"
