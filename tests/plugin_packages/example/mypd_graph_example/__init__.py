"""An out-of-tree plugin written only against the documented plugin API: a tiny framework and a
resource catalog. It proves that a district can add both without touching mypd_graph."""

from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.types import (
    Element,
    FrameworkDefinition,
    RatingLevel,
    ResourceRecord,
    Standard,
)

FRAMEWORK = FrameworkDefinition(
    key="example-2025",
    name="Example Teaching Framework",
    version="2025",
    jurisdiction="Exampleland",
    levels=(RatingLevel("developing", "Developing"), RatingLevel("proficient", "Proficient")),
    standards=(
        Standard(
            "A",
            "Planning",
            (Element("A.1", "Plans lessons around clear goals"), Element("A.2", "Sequences units")),
        ),
    ),
    subject_elements={"Math": ("A.1",)},
)


class Catalog:
    name = "example-catalog"
    title = "Example PD catalog"

    def resources(self):
        yield ResourceRecord(
            external_id="ex-1",
            title="Writing learning goals",
            framework_key="example-2025",
            element_codes=("A.1",),
            format="video",
        )


@hookimpl
def mypd_graph_register_frameworks(register):
    register(FRAMEWORK)


@hookimpl
def mypd_graph_register_resource_providers(register):
    register(Catalog())
