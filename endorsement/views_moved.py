"""The addresses the workflow had while it was part of competencies, answered with a redirect.

The public registry (/registry) and the rating links already emailed to raters (/rate/<token>)
may be printed, bookmarked or still in someone's inbox; so may the workflow's pages under
/competencies/. Each GET answers 301 with the same query string at the page's new address under
/endorsement/; a rating form rendered at its old address and sent afterwards is answered 308,
which keeps the method and the form. The redirect shows nothing: the page it leads to checks who
may see it.
"""

from __future__ import annotations

from flask import redirect, request, url_for

from endorsement.blueprint import moved

# old address -> endpoint of the page now
MOVED = (
    ("/registry", "endorsement.registry_page"),
    ("/rate/<token>", "endorsement.rate"),
    ("/competencies/applications/mine", "endorsement.my_applications"),
    ("/competencies/applications/<int:application_id>", "endorsement.application_detail"),
    (
        "/competencies/applications/<int:application_id>/files/<key>",
        "endorsement.application_file",
    ),
    ("/competencies/pathways/<int:pathway_id>/apply", "endorsement.application_apply"),
    ("/competencies/pathways/<int:pathway_id>/references", "endorsement.pathway_references"),
    ("/competencies/reviews", "endorsement.my_reviews"),
    ("/competencies/reviews/<int:review_id>", "endorsement.review_detail"),
    ("/competencies/exams", "endorsement.exams_page"),
    ("/competencies/renewal", "endorsement.renewal_page"),
    ("/competencies/workflow", "endorsement.workflow_dashboard"),
    ("/competencies/workflow.csv", "endorsement.workflow_csv"),
    ("/competencies/workflow/readiness.csv", "endorsement.workflow_readiness_csv"),
)
# Forms that strangers send to an old address: the rating form.
POSTED = {"endorsement.rate"}


def _redirect_to(endpoint: str):
    def view(**values: object):
        target = url_for(endpoint, **values)
        if request.query_string:
            target += "?" + request.query_string.decode("latin-1")
        return redirect(target, code=301 if request.method == "GET" else 308)

    view.__name__ = "moved_" + endpoint.split(".")[-1]
    return view


for _rule, _endpoint in MOVED:
    moved.add_url_rule(
        _rule,
        view_func=_redirect_to(_endpoint),
        methods=["GET", "POST"] if _endpoint in POSTED else ["GET"],
    )
