"""The CSTP (2009) framework as plain data.

Kept apart from the hook so the text can be read, reviewed against the official documents and
tested without pluggy. Element wording is the official wording of *California Standards for the
Teaching Profession* (Commission on Teacher Credentialing, October 2009), with straight ASCII
apostrophes; the rating scale is that of *California's Continuum of Teaching Practice*
(CCTC/CDE/New Teacher Center, revised June 2012).
"""

from __future__ import annotations

from mypd_graph.plugins.types import Element, FrameworkDefinition, RatingLevel, Standard

FRAMEWORK_KEY = "cstp-2009"

SOURCE_URL = "https://www.ctc.ca.gov/docs/default-source/educator-prep/standards/cstp-2009.pdf"

# (code, official title, ((element code, official element text), ...)) in document order.
_STANDARDS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "1",
        "Engaging and Supporting All Students in Learning",
        (
            ("1.1", "Using knowledge of students to engage them in learning"),
            (
                "1.2",
                "Connecting learning to students' prior knowledge, backgrounds, life experiences, "
                "and interests",
            ),
            ("1.3", "Connecting subject matter to meaningful, real-life contexts"),
            (
                "1.4",
                "Using a variety of instructional strategies, resources, and technologies to meet "
                "students' diverse learning needs",
            ),
            ("1.5", "Promoting critical thinking through inquiry, problem solving, and reflection"),
            ("1.6", "Monitoring student learning and adjusting instruction while teaching"),
        ),
    ),
    (
        "2",
        "Creating and Maintaining Effective Environments for Student Learning",
        (
            (
                "2.1",
                "Promoting social development and responsibility within a caring community where "
                "each student is treated fairly and respectfully",
            ),
            (
                "2.2",
                "Creating physical or virtual learning environments that promote student "
                "learning, reflect diversity, and encourage constructive and productive "
                "interactions among students",
            ),
            (
                "2.3",
                "Establishing and maintaining learning environments that are physically, "
                "intellectually, and emotionally safe",
            ),
            (
                "2.4",
                "Creating a rigorous learning environment with high expectations and appropriate "
                "support for all students",
            ),
            (
                "2.5",
                "Developing, communicating, and maintaining high standards for individual and "
                "group behavior",
            ),
            (
                "2.6",
                "Employing classroom routines, procedures, norms, and supports for positive "
                "behavior to ensure a climate in which all students can learn",
            ),
            ("2.7", "Using instructional time to optimize learning"),
        ),
    ),
    (
        "3",
        "Understanding and Organizing Subject Matter for Student Learning",
        (
            (
                "3.1",
                "Demonstrating knowledge of subject matter, academic content standards, and "
                "curriculum frameworks",
            ),
            (
                "3.2",
                "Applying knowledge of student development and proficiencies to ensure student "
                "understanding of subject matter",
            ),
            (
                "3.3",
                "Organizing curriculum to facilitate student understanding of the subject matter",
            ),
            (
                "3.4",
                "Utilizing instructional strategies that are appropriate to the subject matter",
            ),
            (
                "3.5",
                "Using and adapting resources, technologies, and standards-aligned instructional "
                "materials, including adopted materials, to make subject matter accessible to all "
                "students",
            ),
            (
                "3.6",
                "Addressing the needs of English learners and students with special needs to "
                "provide equitable access to the content",
            ),
        ),
    ),
    (
        "4",
        "Planning Instruction and Designing Learning Experiences for All Students",
        (
            (
                "4.1",
                "Using knowledge of students' academic readiness, language proficiency, cultural "
                "background, and individual development to plan instruction",
            ),
            ("4.2", "Establishing and articulating goals for student learning"),
            (
                "4.3",
                "Developing and sequencing long-term and short-term instructional plans to "
                "support student learning",
            ),
            (
                "4.4",
                "Planning instruction that incorporates appropriate strategies to meet the "
                "learning needs of all students",
            ),
            (
                "4.5",
                "Adapting instructional plans and curricular materials to meet the assessed "
                "learning needs of all students",
            ),
        ),
    ),
    (
        "5",
        "Assessing Students for Learning",
        (
            (
                "5.1",
                "Applying knowledge of the purposes, characteristics, and uses of different types "
                "of assessments",
            ),
            (
                "5.2",
                "Collecting and analyzing assessment data from a variety of sources to inform "
                "instruction",
            ),
            (
                "5.3",
                "Reviewing data, both individually and with colleagues, to monitor student "
                "learning",
            ),
            (
                "5.4",
                "Using assessment data to establish learning goals and to plan, differentiate, "
                "and modify instruction",
            ),
            (
                "5.5",
                "Involving all students in self-assessment, goal setting, and monitoring progress",
            ),
            (
                "5.6",
                "Using available technologies to assist in assessment, analysis, and "
                "communication of student learning",
            ),
            (
                "5.7",
                "Using assessment information to share timely and comprehensible feedback with "
                "students and their families",
            ),
        ),
    ),
    (
        "6",
        "Developing as a Professional Educator",
        (
            ("6.1", "Reflecting on teaching practice in support of student learning"),
            (
                "6.2",
                "Establishing professional goals and engaging in continuous and purposeful "
                "professional growth and development",
            ),
            (
                "6.3",
                "Collaborating with colleagues and the broader professional community to support "
                "teacher and student learning",
            ),
            ("6.4", "Working with families to support student learning"),
            ("6.5", "Engaging local communities in support of the instructional program"),
            (
                "6.6",
                "Managing professional responsibilities to maintain motivation and commitment to "
                "all students",
            ),
            ("6.7", "Demonstrating professional responsibility, integrity, and ethical conduct"),
        ),
    ),
)

# The five developmental levels of the Continuum of Teaching Practice, lowest first. Each
# description condenses the Continuum's own "Developmental Levels" description into one sentence,
# keeping its verbs (expands awareness / explores / implements / integrates / designs).
LEVELS: tuple[RatingLevel, ...] = (
    RatingLevel(
        key="emerging",
        label="Emerging",
        description=(
            "Expands awareness of curriculum and instructional practices, knows teaching as the "
            "discrete skills described in the CSTP, and plans lessons using the available "
            "curriculum and resources."
        ),
    ),
    RatingLevel(
        key="exploring",
        label="Exploring",
        description=(
            "Explores use of additional instructional practices and types of assessment, "
            "expanding knowledge of how instruction, learning goals, assessments, and content "
            "relate as informed by the CSTP."
        ),
    ),
    RatingLevel(
        key="applying",
        label="Applying",
        description=(
            "Implements the curriculum using a variety of instructional practices and "
            "supplemental resources, using knowledge of the CSTP to connect instruction, "
            "learning goals, assessments, and content standards."
        ),
    ),
    RatingLevel(
        key="integrating",
        label="Integrating",
        description=(
            "Integrates extensive knowledge of curriculum, instructional practices, and "
            "supplemental resources to enhance and deepen student understanding and engagement "
            "in a rigorous environment that supports and challenges all students."
        ),
    ),
    RatingLevel(
        key="innovating",
        label="Innovating",
        description=(
            "Designs and implements comprehensive curriculum with multiple and varied "
            "instructional strategies and resources that support in-depth study of content and "
            "promote high levels of student understanding and engagement."
        ),
    ),
)

# Which elements' growth should show in students' results in a tested subject. Needs assessment
# reads a weak subject result as a signal on these elements, so the lists stay deliberately
# narrow: subject-matter knowledge and subject-appropriate instruction (3.1, 3.4 for all; 3.3
# and 3.5 where curriculum sequence and materials/labs dominate), planning and adapting to
# assessed needs (4.x), and using assessment data to steer instruction (1.6, 5.2, 5.4).
# Per subject: Math adds problem solving (1.5) and sequencing (3.3, 4.3); ELA adds building on
# background knowledge (1.2), language proficiency and development (3.2, 3.6, 4.1); Science
# adds real-life contexts and inquiry (1.3, 1.5) plus resources and technologies (3.5).
# Standards 2 (environment) and 6 (professional growth) matter for every subject but only
# indirectly, so mapping them would point every weak score at them; they are left out.
SUBJECT_ELEMENTS: dict[str, tuple[str, ...]] = {
    "Math": ("1.5", "1.6", "3.1", "3.3", "3.4", "3.5", "4.3", "4.4", "5.2", "5.4"),
    "ELA": ("1.2", "1.6", "3.1", "3.2", "3.4", "3.6", "4.1", "4.4", "5.2", "5.4"),
    "Science": ("1.3", "1.5", "1.6", "3.1", "3.3", "3.4", "3.5", "4.3", "4.4", "5.2", "5.4"),
}

DESCRIPTION = (
    "The six California Standards for the Teaching Profession and their 38 elements, adopted by "
    "the California Commission on Teacher Credentialing and approved by the Superintendent of "
    "Public Instruction in October 2009, rated on the five developmental levels of California's "
    "Continuum of Teaching Practice (Emerging to Innovating)."
)


def build_framework() -> FrameworkDefinition:
    """Build a fresh definition, so callers never share or mutate module state."""
    standards = tuple(
        Standard(
            code=code,
            title=title,
            elements=tuple(
                Element(code=element_code, text=text) for element_code, text in elements
            ),
        )
        for code, title, elements in _STANDARDS
    )
    return FrameworkDefinition(
        key=FRAMEWORK_KEY,
        name="California Standards for the Teaching Profession",
        version="2009",
        jurisdiction="California",
        levels=LEVELS,
        standards=standards,
        description=DESCRIPTION,
        source_url=SOURCE_URL,
        subject_elements={subject: codes for subject, codes in SUBJECT_ELEMENTS.items()},
    )
