"""The endorsement workflow: applications, references, reviews, exams, renewals, the public
registry and the association's view of its pipeline.

It builds on competencies (pathways, the evaluator, the Endorsement record and its award) and
adds what happens between "ready" and "endorsed", and every year after.
"""

from endorsement import cli as _cli  # noqa: F401
from endorsement import demo, panels, task_links, views, views_desk, views_moved  # noqa: F401
from endorsement.blueprint import bp, cli, moved
from endorsement.capabilities import CAPABILITIES
from endorsement.models import MODELS
from lms.plugins import Mount, NavItem, Plugin, Receiver
from lms.signals import demo_data, task_pages

plugin = Plugin(
    name="endorsement",
    version=1,
    blueprint=bp,
    models=MODELS,
    capabilities=CAPABILITIES,
    requires=("competencies",),
    cli=cli,
    blueprints=(Mount(moved),),  # 301 from the addresses the workflow had in competencies
    receivers=(Receiver(demo_data, demo.on_demo), Receiver(task_pages, task_links.task_pages)),
    home=(panels.home_todos,),
    nav=(
        NavItem("My applications", "endorsement.my_applications", "endorsement:apply", order=12),
        NavItem("Applications", "endorsement.workflow_dashboard", "endorsement:decide", order=28),
        NavItem(
            "Reviews",
            "endorsement.my_reviews",
            "endorsement:review",
            order=29,
            group="my_work",
        ),
    ),
)
