"""One upload page for every import of the portal, and the pages of its batches.

An app's import page is `ImportView.as_view(kind=...)` for an importer registered in
gigaportal.imports. A small file (settings.IMPORT_INLINE_MAX_BYTES) is imported while
the browser waits; a larger one is stored and imported by a worker, and the browser
follows its batch's progress. A file over its kind's limit is refused by the form. Either
way the outcome is the batch's: imported, already imported (the same file again:
nothing changed), or refused with every row-numbered reason (nothing changed).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView

from gigaportal import imports, selectors
from gigaportal.models import ImportBatch
from gigaportal.permissions import RoleRequiredMixin
from gigaportal.ratelimit import rate_limited
from gigaportal.roles import LEADER_ROLES


def clean_import_upload(upload, kind: str):
    """An import's file as every upload form checks it: not empty, not over its kind's
    limit (named in the message)."""
    if upload.size == 0:
        raise forms.ValidationError(_("The file is empty."))
    problem = imports.importer(kind).size_problem(upload.size)
    if problem:
        raise forms.ValidationError(problem)
    return upload


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8 or Shift_JIS (as saved by Excel)."),
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["file"].help_text = _(
            "UTF-8 or Shift_JIS (as saved by Excel), at most %(limit)s MB."
        ) % {"limit": imports.importer(kind).max_mb}

    def clean_file(self):
        return clean_import_upload(self.cleaned_data["file"], self.kind)


class ImportView(RoleRequiredMixin, View):
    allowed_roles = LEADER_ROLES
    kind = ""
    template_name = "gigaportal/import.html"

    def context(self, form, errors=None) -> dict:
        entry = imports.importer(self.kind)
        return {
            "form": form,
            "title": entry.title,
            "help_text": entry.help_text,
            "columns": entry.columns,
            "errors": errors or [],
            "batches": selectors.import_batches(user=self.request.user, kind=self.kind)[:10],
        }

    def get(self, request):
        return render(request, self.template_name, self.context(UploadForm(kind=self.kind)))

    @method_decorator(rate_limited("upload"))
    def post(self, request):
        form = UploadForm(request.POST, request.FILES, kind=self.kind)
        if not form.is_valid():
            return render(request, self.template_name, self.context(form), status=400)
        upload = form.cleaned_data["file"]
        batch = imports.batch_upload(kind=self.kind, upload=upload, by=request.user)
        if batch.status == ImportBatch.Status.QUEUED:
            return redirect("imports:detail", pk=batch.pk)
        if batch.status == ImportBatch.Status.FAILED:
            return render(request, self.template_name, self.context(form, batch.errors), status=400)
        if batch.status == ImportBatch.Status.UNCHANGED:
            messages.info(request, imports.describe(batch))
        else:
            messages.success(request, imports.describe(batch))
            for warning in imports.warnings(batch):
                messages.warning(request, warning)
        return redirect(imports.importer(self.kind).success_url)


class ImportBatchListView(RoleRequiredMixin, ListView):
    """What came in: every import, newest first (the leader's and admins' page)."""

    allowed_roles = LEADER_ROLES
    template_name = "gigaportal/importbatch_list.html"
    context_object_name = "batches"
    paginate_by = 50

    def get_queryset(self):
        return selectors.import_batches(user=self.request.user)


class ImportBatchDetailView(RoleRequiredMixin, View):
    allowed_roles = LEADER_ROLES

    def get(self, request, pk):
        batch = selectors.import_batch_get(user=request.user, pk=pk)
        entry = imports.REGISTRY.get(batch.kind)
        progress = imports.batch_progress(batch)
        if progress["next_url"]:
            # A finished preview is read on its own page.
            return redirect(progress["next_url"])
        return render(
            request,
            "gigaportal/importbatch_detail.html",
            {"batch": batch, "progress": progress, "importer": entry},
        )


class ImportBatchStatusView(RoleRequiredMixin, View):
    allowed_roles = LEADER_ROLES

    def get(self, request, pk):
        batch = selectors.import_batch_get(user=request.user, pk=pk)
        return JsonResponse(imports.batch_progress(batch))
