"""Thin views for surveys: parse the request, call one selector or service, render.
Report pages (tallies, charts, downloads) are gigaportal.reports.ReportView (see
urls.py); these are the survey's own pages, the import with its preview, question
corrections, the codebook and the coding page."""

from __future__ import annotations

import os

from django.contrib import messages
from django.core import signing
from django.core.files import File
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gigaportal import imports, submits
from gigaportal.models import ImportBatch
from gigaportal.params import int_param
from gigaportal.permissions import any_role_required, role_required
from gigaportal.ratelimit import rate_limited
from gigaportal.roles import LEADER_ROLES
from surveys import recognize, selectors, services
from surveys.forms import (
    CategoryAddForm,
    CategoryForm,
    GroupForm,
    QuestionForm,
    SurveyForm,
    SurveyImportForm,
)
from surveys.models import Answer, Kind, Option, RespondentGroup, Response, TextAnswer
from surveys.reports import text_param

leader_required = role_required(LEADER_ROLES)
PREVIEW_SALT = "surveys.import-preview"
PREVIEW_MAX_AGE = 24 * 60 * 60
CODING_PAGE = 30


def _refused(form, exc: services.SurveyError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


# --- Surveys ------------------------------------------------------------------------------------


@any_role_required
def survey_list(request):
    return render(
        request,
        "surveys/survey_list.html",
        {"surveys": selectors.survey_list(user=request.user)},
    )


@any_role_required
def survey_detail(request, slug):
    survey = selectors.survey_get(user=request.user, slug=slug)
    groups = selectors.groups_of(survey)
    questions = selectors.questions_of(survey)
    counts = dict(
        Response.objects.filter(survey=survey)
        .values("group_id")
        .annotate(n=Count("id"))
        .values_list("group_id", "n")
    )
    for group in groups:
        group.response_count = counts.get(group.pk, 0)
    answered = dict(
        Answer.objects.filter(question__survey=survey)
        .values("question_id")
        .annotate(n=Count("response", distinct=True))
        .values_list("question_id", "n")
    )
    answered.update(
        TextAnswer.objects.filter(question__survey=survey)
        .values("question_id")
        .annotate(n=Count("id"))
        .values_list("question_id", "n")
    )
    for question in questions:
        question.answer_count = answered.get(question.pk, 0)
    total = sum(counts.values())
    return render(
        request,
        "surveys/survey_detail.html",
        {
            "survey": survey,
            "groups": groups,
            "questions": questions,
            "total": total,
            "rate": _rate(total, survey.target_population),
            "reads_free_text": selectors.reads_free_text(request.user),
            "has_school_column": any(q.kind == Kind.SCHOOL for q in questions),
        },
    )


def _rate(count: int, target: int | None):
    from surveys.tallies import percent

    return percent(count, target or 0)


@leader_required
def survey_edit(request, slug):
    survey = selectors.survey_get(user=request.user, slug=slug)
    form = SurveyForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(
                by=request.user,
                survey=survey,
                **{name: form.cleaned_data[name] for name in services.surveys.SURVEY_FIELDS},
            )
        except services.SurveyError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("surveys:detail", slug=survey.slug)
    survey.refresh_from_db()
    groups = [
        (
            group,
            GroupForm(
                prefix=f"g{group.pk}",
                initial={
                    "name": group.name,
                    "order": group.order,
                    "target_population": group.target_population,
                },
            ),
        )
        for group in selectors.groups_of(survey)
    ]
    return render(
        request,
        "surveys/survey_form.html",
        {"survey": survey, "form": form, "groups": groups},
        status=400 if request.method == "POST" else 200,
    )


@leader_required
@require_POST
def group_edit(request, slug, pk):
    survey = selectors.survey_get(user=request.user, slug=slug)
    group = RespondentGroup.objects.filter(survey=survey, pk=pk).first()
    if group is None:
        raise Http404
    form = GroupForm(request.POST, prefix=f"g{group.pk}")
    if form.is_valid():
        try:
            services.group_update(by=request.user, group=group, **form.cleaned_data)
        except services.SurveyError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, _("The group was not saved: check its name, order and number."))
    return redirect("surveys:edit", slug=survey.slug)


# --- Import with a preview --------------------------------------------------------------------------
#
# Step 1 stores the upload as a preview batch (gigaportal.imports, PREVIEW_KIND): a
# small file is previewed while the browser waits, a larger one by a worker while the
# browser follows the batch's progress page, which then sends it to the preview page.
# The preview page hands out a signed token naming the preview batch and its uploader;
# step 2 checks it and either previews again with the kinds chosen, or imports the
# preview's file as an import batch (again by a worker when it is large).


def _render_preview(request, batch: ImportBatch, *, status=200):
    preview = services.Preview.from_details(batch.details)
    stored = {
        "batch": batch.pk,
        "user": request.user.pk,
        "keys": {str(c.position): c.key for c in preview.columns},
    }
    return render(
        request,
        "surveys/import_preview.html",
        {
            "preview": preview,
            "token": signing.dumps(stored, salt=PREVIEW_SALT, compress=True),
            "file_name": batch.file_name,
            "kind_choices": services.kind_choices(),
            "kind_labels": dict(Kind.choices),
        },
        status=status,
    )


def _preview_started(request, batch: ImportBatch):
    """Where a preview batch just made leads: its page, its progress, or back to the
    upload with the reasons it was refused."""
    if batch.status == ImportBatch.Status.DONE:
        return _render_preview(request, batch)
    if batch.status == ImportBatch.Status.FAILED:
        for error in batch.errors[:20]:
            messages.error(request, error)
        return redirect("surveys:import")
    return redirect("imports:detail", pk=batch.pk)


@leader_required
@rate_limited("upload")
def survey_import(request):
    """Step 1: the file and where it goes; then the preview (nothing saved yet)."""
    initial = {}
    if slug := request.GET.get("survey"):
        initial["survey"] = slug
    form = SurveyImportForm(request.POST or None, request.FILES or None, initial=initial)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        options = form.import_options()
        options["file_name"] = os.path.basename(upload.name)[-255:]
        if not options["title"]:
            options["title"] = services.title_from_file_name(upload.name)
        upload.name = options["file_name"]
        batch = imports.batch_upload(
            kind=services.PREVIEW_KIND, upload=upload, by=request.user, options=options
        )
        if batch.status != ImportBatch.Status.FAILED:
            return _preview_started(request, batch)
        errors = batch.errors
    return render(
        request,
        "surveys/import.html",
        {"form": form, "errors": errors, "batches": _recent_batches(request.user)},
        status=400 if request.method == "POST" else 200,
    )


def _recent_batches(user):
    from gigaportal import selectors as portal_selectors

    return portal_selectors.import_batches(user=user, kind=services.IMPORT_KIND)[:10]


def _preview_batch(request, pk, *, lock: bool = False) -> ImportBatch | None:
    """The user's own finished preview that still has its file (locked until the
    transaction ends when `lock`)."""
    batches = ImportBatch.objects.filter(
        pk=pk, kind=services.PREVIEW_KIND, by=request.user, status=ImportBatch.Status.DONE
    )
    if lock:
        batches = batches.select_for_update()
    return batches.exclude(file="").first()


@leader_required
def survey_import_preview(request, pk):
    """The preview a worker made (the progress page comes here when it is done); only
    its uploader sees it (it may quote free-text answers)."""
    from gigaportal import selectors as portal_selectors

    batch = portal_selectors.import_batch_get(user=request.user, pk=pk)
    if batch.kind != services.PREVIEW_KIND or batch.by_id != request.user.pk:
        raise Http404
    if batch.status != ImportBatch.Status.DONE:
        return redirect("imports:detail", pk=batch.pk)
    if not batch.file:
        messages.error(request, _("This preview has expired. Upload the file again."))
        return redirect("surveys:import")
    return _render_preview(request, batch)


def _load_token(request) -> dict | None:
    try:
        stored = signing.loads(
            request.POST.get("token", ""), salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE
        )
    except signing.BadSignature:
        return None
    if not isinstance(stored, dict) or stored.get("user") != request.user.pk:
        return None
    if not isinstance(stored.get("batch"), int) or not isinstance(stored.get("keys"), dict):
        return None
    return stored


@leader_required
@require_POST
def survey_import_confirm(request):
    """Step 2: the leader saw the preview (and may have corrected kinds): check again
    with those kinds, or import."""
    stored = _load_token(request)
    if stored is None:
        return HttpResponseBadRequest(
            _("This preview is not valid any more. Upload the file again.")
        )
    with transaction.atomic():
        # The preview is claimed under its row lock: a double click waits here, then
        # finds it spent and goes where the first click went (one import per preview).
        preview = _preview_batch(request, stored["batch"], lock=True)
        if preview is None:
            return _preview_gone(request, stored["batch"])
        return _confirm(request, preview, stored)


def _preview_gone(request, pk):
    spent = (
        ImportBatch.objects.filter(pk=pk, kind=services.PREVIEW_KIND, by=request.user)
        .values_list("details", flat=True)
        .first()
    )
    followed_by = spent.get("followed_by") if isinstance(spent, dict) else None
    if isinstance(followed_by, int):
        messages.info(request, _("This was already sent."))
        return redirect("imports:detail", pk=followed_by)
    messages.error(request, _("This preview has expired. Upload the file again."))
    return redirect("surveys:import")


def _confirm(request, preview: ImportBatch, stored: dict):
    options = dict(preview.options)
    allowed = {k.value for k in recognize.EDITABLE_KINDS}
    kinds = {}
    for position, key in stored["keys"].items():
        chosen = request.POST.get(f"kind-{position}")
        if chosen in allowed:
            kinds[str(key)] = chosen
    options["kinds"] = kinds
    again = request.POST.get("action") != "import"
    try:
        binary = preview.file.open("rb")
    except OSError:
        # The media folder lost the file (a restore without it, a sweep just now).
        imports.batch_release(preview)
        messages.error(request, _("This preview has expired. Upload the file again."))
        return redirect("surveys:import")
    with binary:
        # Small enough to finish while the browser waits, or queued for a worker.
        batch = imports.batch_upload(
            kind=services.PREVIEW_KIND if again else services.IMPORT_KIND,
            upload=File(binary, name=preview.file_name),
            by=request.user,
            options=options,
        )
    # The new batch has its own copy of the file: one preview, one file.
    imports.batch_release(preview, followed_by=batch)
    if again:
        return _preview_started(request, batch)
    if batch.status == ImportBatch.Status.QUEUED:
        return redirect("imports:detail", pk=batch.pk)
    if batch.status == ImportBatch.Status.FAILED:
        for error in batch.errors[:20]:
            messages.error(request, error)
        messages.error(request, imports.describe(batch))
        return redirect("surveys:import")
    if batch.status == ImportBatch.Status.UNCHANGED:
        messages.info(request, imports.describe(batch))
    else:
        messages.success(request, imports.describe(batch))
    return redirect("surveys:detail", slug=options["survey"])


# --- Questions -----------------------------------------------------------------------------------------


@leader_required
def question_edit(request, slug, pk):
    survey = selectors.survey_get(user=request.user, slug=slug)
    question = selectors.question_get(user=request.user, survey=survey, pk=pk)
    form = QuestionForm(
        request.POST or None,
        question=question,
        initial={"kind": question.kind, "label": question.label, "is_scale": question.is_scale},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(
                by=request.user,
                question=question,
                kind=form.cleaned_data["kind"],
                label=form.cleaned_data["label"],
                is_scale=form.cleaned_data["is_scale"],
                options=form.option_inputs(),
            )
        except services.SurveyError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("surveys:detail", slug=survey.slug)
    return render(
        request,
        "surveys/question_form.html",
        {"survey": survey, "question": question, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@leader_required
@require_POST
def question_scale(request, slug, pk):
    survey = selectors.survey_get(user=request.user, slug=slug)
    question = selectors.question_get(user=request.user, survey=survey, pk=pk)
    try:
        services.scale_apply(by=request.user, question=question)
    except services.SurveyError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The answers were read as a scale again."))
    return redirect("surveys:question_edit", slug=survey.slug, pk=question.pk)


# --- Codebook and coding -----------------------------------------------------------------------------------


def _free_text_question(request, slug, pk):
    survey = selectors.survey_get(user=request.user, slug=slug)
    question = selectors.question_get(user=request.user, survey=survey, pk=pk)
    if question.kind != Kind.FREE_TEXT:
        raise Http404
    return survey, question


@leader_required
def codebook(request, slug, pk):
    survey, question = _free_text_question(request, slug, pk)
    form = CategoryAddForm(request.POST or None, submitter=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            submits.submit_once(
                token=form.submit_token,
                user=request.user,
                create=lambda: services.codebook_add(
                    by=request.user,
                    question=question,
                    text=form.cleaned_data["text"],
                    keywords=form.cleaned_data["keywords"],
                ),
                url=reverse("surveys:codebook", args=[survey.slug, question.pk]),
            )
        except submits.AlreadySubmitted as exc:
            return submits.redirect_to_first(request, exc)
        except services.SurveyError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Category added."))
            return redirect("surveys:codebook", slug=survey.slug, pk=question.pk)
    counts = dict(
        TextAnswer.objects.filter(question=question, code__isnull=False)
        .values("code_id")
        .annotate(n=Count("id"))
        .values_list("code_id", "n")
    )
    categories = list(question.options.all())
    for category in categories:
        category.answer_count = counts.get(category.pk, 0)
    return render(
        request,
        "surveys/codebook.html",
        {
            "survey": survey,
            "question": question,
            "form": form,
            "categories": categories,
            "uncoded": selectors.uncoded_count(question),
        },
        status=400 if request.method == "POST" else 200,
    )


def _category(question, pk) -> Option:
    option = Option.objects.filter(question=question, pk=pk).first()
    if option is None:
        raise Http404
    return option


@leader_required
@require_POST
def category_edit(request, slug, pk, category):
    survey, question = _free_text_question(request, slug, pk)
    option = _category(question, category)
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            services.codebook_update(
                by=request.user,
                option=option,
                text=form.cleaned_data["text"],
                keywords=form.cleaned_data["keywords"],
                order=form.cleaned_data.get("order"),
            )
        except services.SurveyError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, _("The category was not saved: it needs a name."))
    return redirect("surveys:codebook", slug=survey.slug, pk=question.pk)


@leader_required
@require_POST
def category_delete(request, slug, pk, category):
    survey, question = _free_text_question(request, slug, pk)
    option = _category(question, category)
    if request.POST.get("confirm") != "1":
        messages.error(request, _("The category was not deleted."))
        return redirect("surveys:codebook", slug=survey.slug, pk=question.pk)
    count = services.codebook_delete(by=request.user, option=option)
    messages.success(
        request,
        _("Category deleted; %(count)s answers are uncoded again.") % {"count": count},
    )
    return redirect("surveys:codebook", slug=survey.slug, pk=question.pk)


@leader_required
def coding(request, slug, pk):
    """Works through a free-text question's answers: uncoded ones first, keyword
    suggestions, a search whose results can be coded together, and undo."""
    survey, question = _free_text_question(request, slug, pk)
    query = text_param(request.GET)
    show = request.GET.get("show")
    uncoded_only = show != "all"
    answers = selectors.text_answers(
        user=request.user, question=question, query=query, uncoded_only=uncoded_only
    )
    categories = list(question.options.all())
    keywords = [(c.pk, c.keyword_list()) for c in categories]
    page = list(answers[:CODING_PAGE])
    for answer in page:
        answer.suggested = recognize.suggest_codes(answer.text, keywords)[:3]
    matching = answers.count() if query else None
    total = TextAnswer.objects.filter(question=question).count()
    uncoded = selectors.uncoded_count(question)
    last_step = _last_step(question=question, user=request.user)
    return render(
        request,
        "surveys/coding.html",
        {
            "survey": survey,
            "question": question,
            "categories": categories,
            "answers": page,
            "query": query,
            "show": "all" if not uncoded_only else "",
            "matching": matching,
            "total": total,
            "uncoded": uncoded,
            "coded": total - uncoded,
            "last_step": last_step,
        },
    )


def _last_step(*, question, user):
    from surveys.models import CodingStep

    return CodingStep.objects.filter(question=question, by=user, undone_at__isnull=True).first()


def _coding_reply(request, survey, question, *, done: int, message: str):
    """JSON for the page's script, else back to the page (where the person was)."""
    if request.headers.get("Accept", "").startswith("application/json"):
        uncoded = selectors.uncoded_count(question)
        return JsonResponse({"ok": True, "done": done, "uncoded": uncoded, "message": message})
    if message:
        messages.success(request, message)
    url = reverse("surveys:coding", kwargs={"slug": survey.slug, "pk": question.pk})
    back = {
        k: v
        for k, v in (("q", text_param(request.POST)), ("show", request.POST.get("show", "")))
        if v
    }
    if back:
        from urllib.parse import urlencode

        url += "?" + urlencode(back)
    return redirect(url)


def _code_from_post(request, question) -> tuple[bool, Option | None]:
    """(valid, category): "" uncodes; an id must be one of the question's categories."""
    raw = request.POST.get("code", "")
    if raw == "":
        return True, None
    pk = int_param(request.POST, "code")
    option = Option.objects.filter(question=question, pk=pk).first() if pk else None
    return option is not None, option


@leader_required
@require_POST
def code_answer(request, slug, pk):
    survey, question = _free_text_question(request, slug, pk)
    valid, code = _code_from_post(request, question)
    answer_id = int_param(request.POST, "answer")
    if not valid or answer_id is None:
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"ok": False, "message": _("Choose a category.")}, status=400)
        messages.error(request, _("Choose a category."))
        return _coding_reply(request, survey, question, done=0, message="")
    done = services.answers_code(
        by=request.user, question=question, code=code, answer_ids=[answer_id]
    )
    return _coding_reply(request, survey, question, done=done, message="")


@leader_required
@require_POST
def code_matching(request, slug, pk):
    survey, question = _free_text_question(request, slug, pk)
    valid, code = _code_from_post(request, question)
    query = text_param(request.POST)
    if not valid or code is None or not query:
        messages.error(request, _("Search for a word and choose a category to give every result."))
        return _coding_reply(request, survey, question, done=0, message="")
    done = services.answers_code_matching(
        by=request.user,
        question=question,
        code=code,
        query=query,
        uncoded_only=request.POST.get("show") != "all",
    )
    return _coding_reply(
        request,
        survey,
        question,
        done=done,
        message=_("%(count)s answers coded as %(code)s.") % {"count": done, "code": code.text},
    )


@leader_required
@require_POST
def code_undo(request, slug, pk):
    survey, question = _free_text_question(request, slug, pk)
    restored = services.coding_undo(by=request.user, question=question)
    message = (
        _("Undone: %(count)s answers have their earlier category again.") % {"count": restored}
        if restored
        else _("Nothing to undo.")
    )
    return _coding_reply(request, survey, question, done=restored, message=message)
