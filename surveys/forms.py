"""Forms of the survey pages. They parse and check what a person typed; the rules
themselves are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from gigaportal.forms import SubmitTokenMixin, WindowDateField, WindowFiscalYearField
from gigaportal.views.imports import clean_import_upload
from surveys.models import Kind, Option, Polarity, Survey
from surveys.services.imports import IMPORT_KIND, RESERVED_SLUGS, SLUG

NEW = "__new__"


class SurveyImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Google Forms export"),
        help_text=gettext_lazy(
            "The response sheet saved as CSV or Excel (.xlsx), or the CSV downloaded from "
            "Forms. UTF-8 or Shift_JIS."
        ),
    )
    survey = forms.ChoiceField(label=gettext_lazy("Survey"))
    slug = forms.CharField(
        label=gettext_lazy("Short name of a new survey"),
        required=False,
        max_length=60,
        help_text=gettext_lazy("Lower-case letters, digits and hyphens, e.g. tablet-2022."),
    )
    title = forms.CharField(
        label=gettext_lazy("Title of a new survey"), required=False, max_length=200
    )
    fiscal_year = WindowFiscalYearField(label=gettext_lazy("Fiscal year"), required=False)
    group = forms.CharField(
        label=gettext_lazy("Respondent group"),
        required=False,
        max_length=60,
        help_text=gettext_lazy(
            "e.g. 小学生, 中学生, 教職員, 保護者. Importing a group again replaces its answers."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].choices = [(NEW, _("A new survey"))] + [
            (s.slug, f"{s.title}（{s.slug}）") for s in Survey.objects.all()[:200]
        ]

    def clean_file(self):
        # Not empty, not over the survey import's limit (settings.IMPORT_MAX_MB).
        return clean_import_upload(self.cleaned_data["file"], IMPORT_KIND)

    def clean(self):
        data = super().clean()
        if data.get("survey") == NEW:
            slug = (data.get("slug") or "").strip()
            if not SLUG.fullmatch(slug) or slug in RESERVED_SLUGS:
                self.add_error(
                    "slug",
                    _("Lower-case letters, digits and hyphens (e.g. ict-2022)."),
                )
            elif Survey.objects.filter(slug=slug).exists():
                self.add_error("slug", _("A survey already has this short name."))
            data["slug"] = slug
        return data

    def import_options(self) -> dict:
        data = self.cleaned_data
        slug = data["slug"] if data["survey"] == NEW else data["survey"]
        return {
            "survey": slug,
            "title": data.get("title") or "",
            "fiscal_year": data.get("fiscal_year"),
            "group": data.get("group") or "",
        }


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = [
            "title",
            "fiscal_year",
            "opens_on",
            "closes_on",
            "method",
            "target_population",
            "notes",
        ]
        field_classes = {
            "fiscal_year": WindowFiscalYearField,
            "opens_on": WindowDateField,
            "closes_on": WindowDateField,
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class GroupForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("name"), max_length=60)
    order = forms.IntegerField(label=gettext_lazy("order"), min_value=0, max_value=1000)
    target_population = forms.IntegerField(
        label=gettext_lazy("people asked"), required=False, min_value=0, max_value=10_000_000
    )


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("kind"))
    label = forms.CharField(label=gettext_lazy("label"), max_length=200, required=False)
    is_scale = forms.BooleanField(label=gettext_lazy("answer scale"), required=False)

    def __init__(self, *args, question, **kwargs):
        super().__init__(*args, **kwargs)
        from surveys.services import kind_choices

        choices = kind_choices()
        if question.kind not in dict(choices):
            choices = [(question.kind, Kind(question.kind).label)]
        self.fields["kind"].choices = choices
        self.options = list(question.options.all())
        polarity = [("", "—")] + [(str(v), label) for v, label in Polarity.choices]
        for option in self.options:
            self.fields[f"order_{option.pk}"] = forms.IntegerField(
                min_value=0, max_value=100_000, initial=option.order, required=True
            )
            self.fields[f"label_{option.pk}"] = forms.CharField(
                max_length=200, required=False, initial=option.label
            )
            self.fields[f"polarity_{option.pk}"] = forms.TypedChoiceField(
                choices=polarity,
                coerce=int,
                empty_value=None,
                required=False,
                initial="" if option.polarity is None else str(option.polarity),
            )

    def option_rows(self):
        return [
            (
                option,
                self[f"order_{option.pk}"],
                self[f"label_{option.pk}"],
                self[f"polarity_{option.pk}"],
            )
            for option in self.options
        ]

    def option_inputs(self):
        from surveys.services import OptionInput

        data = self.cleaned_data
        return [
            OptionInput(
                pk=option.pk,
                order=data[f"order_{option.pk}"],
                label=data.get(f"label_{option.pk}") or "",
                polarity=data.get(f"polarity_{option.pk}"),
            )
            for option in self.options
        ]


class CategoryForm(forms.Form):
    text = forms.CharField(
        label=pgettext_lazy("survey coding", "category"),
        max_length=Option._meta.get_field("text").max_length,
    )
    keywords = forms.CharField(label=gettext_lazy("keywords"), max_length=500, required=False)
    order = forms.IntegerField(
        label=gettext_lazy("order"), min_value=0, max_value=100_000, required=False
    )


class CategoryAddForm(SubmitTokenMixin, CategoryForm):
    """A new category, sent once (gigaportal.submits); editing one needs no token."""
