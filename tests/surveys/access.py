"""Who may open each survey page (see tests/access.py for the format).

Two surveys: one with a school column (schools A and B answered; school B's pupil
wrote a free-text marker) and one without (school users do not see it at all)."""

import io

from gigaportal.models import ImportBatch
from gigaportal.roles import Role
from gigaportal.scope import COMMAND_LINE
from surveys import services
from surveys.models import Kind, Option, Question, Survey
from tests.access import EVERYONE, LEADERS, STAFF, View
from tests.surveys.factories import OPINION, import_export, pupils_export, sheet_csv

WITH_SCHOOLS = "access-schools"
NO_SCHOOLS = "access-noschool"
NO_SCHOOLS_TITLE = "学校列のない職員アンケート"
NO_SCHOOLS_QUESTION = "職員だけに聞いた質問"
B_MARKER = "B校の児童の自由記述マーカー"


def build(world):
    import_export(
        pupils_export(
            [world.school_a.name, world.school_b.name],
            opinions={0: "A校の児童の意見です", 7: B_MARKER},
        ),
        survey=WITH_SCHOOLS,
        group="小学生",
        title="学校別アンケート",
        fiscal_year=2022,
    )
    import_export(
        sheet_csv(
            ["タイムスタンプ", NO_SCHOOLS_QUESTION],
            [[f"2022/12/{d} 9:00:00", "はい" if d % 2 else "いいえ"] for d in range(1, 13)],
        ),
        survey=NO_SCHOOLS,
        title=NO_SCHOOLS_TITLE,
        fiscal_year=2022,
    )
    world.survey = Survey.objects.get(slug=WITH_SCHOOLS)
    world.choice = Question.objects.get(survey=world.survey, kind=Kind.CHOICE)
    world.free_text = Question.objects.get(survey=world.survey, text=OPINION)
    world.category = services.codebook_add(
        by=COMMAND_LINE, question=world.free_text, text="意見", keywords="意見"
    )
    world.group = world.survey.groups.get()
    assert Option.objects.filter(question=world.choice).exists()
    # The leader's finished preview of a file (its stored upload is only named: the
    # page reads the preview kept on the batch).
    data = pupils_export([world.school_a.name], opinions={0: "プレビューの自由記述"})
    preview = services.survey_import_preview(
        file=io.BytesIO(data), options={"survey": "access-preview", "group": "小学生"}
    )
    world.preview = ImportBatch.objects.create(
        kind=services.PREVIEW_KIND,
        by=world.leader,
        file_name="preview.csv",
        file="imports/access-preview.csv",
        status=ImportBatch.Status.DONE,
        options={"survey": "access-preview", "group": "小学生"},
        details=preview.to_details(),
    )


def survey_kwargs(world):
    return {"slug": world.survey.slug}


def question_kwargs(question):
    return lambda w: {"slug": w.survey.slug, "pk": getattr(w, question).pk}


Q = f"?survey={WITH_SCHOOLS}"

VIEWS = [
    # A school user lists only surveys with a school column.
    View("surveys:list", roles=EVERYONE, hidden=lambda w: NO_SCHOOLS_TITLE),
    View(
        "surveys:detail",
        roles=EVERYONE,
        kwargs=survey_kwargs,
        other_school_kwargs=lambda w: {"slug": NO_SCHOOLS},
    ),
    View("surveys:edit", roles=LEADERS, kwargs=survey_kwargs),
    View(
        "surveys:group_edit",
        roles=LEADERS,
        method="post",
        kwargs=lambda w: {"slug": w.survey.slug, "pk": w.group.pk},
        ok_status=(302,),
    ),
    View("surveys:import", roles=LEADERS),
    # A preview may quote free-text answers: its uploader's only (the admin gets a 404).
    View(
        "surveys:import_preview",
        roles=frozenset({Role.LEADER}),
        kwargs=lambda w: {"pk": w.preview.pk},
        denied_status=(403, 404),
    ),
    # A POST without the preview's signed token is refused.
    View("surveys:import_confirm", roles=LEADERS, method="post", ok_status=(400,)),
    # Results: the survey picker never names a survey without a school column to a
    # school user; such a survey is a 404 for them, page and downloads alike.
    View("surveys:tally", roles=EVERYONE, query=Q, hidden=lambda w: NO_SCHOOLS_TITLE),
    View(
        "surveys:tally",
        roles=STAFF,
        query=f"?survey={NO_SCHOOLS}",
        denied_status=(404,),
        hidden=lambda w: NO_SCHOOLS_QUESTION,
        also_check=(f"?survey={NO_SCHOOLS}&download=csv",),
        id="surveys:tally[no school column]",
    ),
    View(
        "surveys:tally_chart",
        roles=EVERYONE,
        query=Q,
        kwargs=lambda w: {"question_pk": w.choice.pk, "stamp": "0"},
    ),
    View("surveys:likert", roles=EVERYONE, query=Q, hidden=lambda w: NO_SCHOOLS_TITLE),
    View(
        "surveys:likert_chart",
        roles=EVERYONE,
        query=Q,
        kwargs=lambda w: {"question_pk": w.choice.pk, "stamp": "0"},
    ),
    View("surveys:top", roles=EVERYONE, query=Q, hidden=lambda w: NO_SCHOOLS_TITLE),
    View("surveys:crosstab", roles=EVERYONE, query=Q, hidden=lambda w: NO_SCHOOLS_TITLE),
    View(
        "surveys:rates",
        roles=EVERYONE,
        query="?fy=2022",
        hidden=lambda w: NO_SCHOOLS_TITLE,
        also_check=("?fy=2022&download=csv",),
    ),
    # Free text may name pupils: center staff and administrators only.
    View(
        "surveys:free_text",
        roles=STAFF,
        query=Q,
        hidden=lambda w: B_MARKER,
        also_check=(f"{Q}&download=csv",),
    ),
    View("surveys:question_edit", roles=LEADERS, kwargs=question_kwargs("choice")),
    View(
        "surveys:question_scale",
        roles=LEADERS,
        method="post",
        kwargs=question_kwargs("choice"),
        ok_status=(302,),
    ),
    View("surveys:codebook", roles=LEADERS, kwargs=question_kwargs("free_text")),
    View(
        "surveys:category_edit",
        roles=LEADERS,
        method="post",
        kwargs=lambda w: {"slug": w.survey.slug, "pk": w.free_text.pk, "category": w.category.pk},
        ok_status=(302,),
    ),
    # Without its confirmation field nothing is deleted (the harness posts nothing).
    View(
        "surveys:category_delete",
        roles=LEADERS,
        method="post",
        kwargs=lambda w: {"slug": w.survey.slug, "pk": w.free_text.pk, "category": w.category.pk},
        ok_status=(302,),
    ),
    View("surveys:coding", roles=LEADERS, kwargs=question_kwargs("free_text")),
    View(
        "surveys:code_answer",
        roles=LEADERS,
        method="post",
        kwargs=question_kwargs("free_text"),
        ok_status=(302,),
    ),
    View(
        "surveys:code_matching",
        roles=LEADERS,
        method="post",
        kwargs=question_kwargs("free_text"),
        ok_status=(302,),
    ),
    View(
        "surveys:code_undo",
        roles=LEADERS,
        method="post",
        kwargs=question_kwargs("free_text"),
        ok_status=(302,),
    ),
]
