"""One upload view for every CSV import in the portal.

An app's import page subclasses CsvImportView and names the service to call. The
view shows the form, runs the service on the uploaded file, and shows either the
result or every row-numbered error (nothing was written in that case: the services
check the whole file before they write).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from gigaportal.permissions import RoleRequiredMixin
from gigaportal.roles import LEADER_ROLES
from gigaportal.tabular import TabularError

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8 or Shift_JIS (as saved by Excel)."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload


class CsvImportView(RoleRequiredMixin, View):
    allowed_roles = LEADER_ROLES
    template_name = "gigaportal/import.html"
    title = ""
    help_text = ""
    columns = ()  # tabular.Column tuple, shown to the user as the expected layout
    success_url_name = "home"

    def run_import(self, upload, request):  # pragma: no cover - subclasses override
        raise NotImplementedError

    def success_message(self, result) -> str:
        return _("Imported: %(created)s new, %(updated)s updated.") % {
            "created": result.created,
            "updated": result.updated,
        }

    def context(self, form, errors=None):
        return {
            "form": form,
            "title": self.title,
            "help_text": self.help_text,
            "columns": self.columns,
            "errors": errors or [],
        }

    def get(self, request):
        return render(request, self.template_name, self.context(CsvUploadForm()))

    def post(self, request):
        form = CsvUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, self.context(form), status=400)
        try:
            result = self.run_import(form.cleaned_data["file"], request)
        except TabularError as exc:
            return render(
                request, self.template_name, self.context(form, exc.messages()), status=400
            )
        messages.success(request, self.success_message(result))
        return redirect(self.success_url_name)
