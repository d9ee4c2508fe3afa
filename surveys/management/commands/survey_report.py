from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from gigaportal import reports
from gigaportal.commands import add_format_argument, fiscal_year_argument, write_report
from gigaportal.reports import Period
from gigaportal.scope import COMMAND_LINE
from surveys.models import Question, Survey


class Command(BaseCommand):
    help = (
        "Survey reports, the same rows as the pages and downloads. `tally`: "
        "question,group,option,count,percent for every choice question (coded free text "
        "included), groups with fewer answers than the threshold left out; `likert`: "
        "positive/neutral/negative shares of answer scales; `top`: one question's most "
        "frequent answers; `crosstab`: two questions; `rates`: response rates of a fiscal year."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="report", required=True)
        tally = sub.add_parser("tally", help="counts and percents by question, group and answer")
        tally.add_argument("--survey", required=True, metavar="SLUG")
        tally.add_argument(
            "--top", type=int, default=None, metavar="N", help="fold the rest into その他"
        )
        tally.add_argument(
            "--school", default=None, help="a school code: its rows beside the city's"
        )
        add_format_argument(tally)
        likert = sub.add_parser("likert", help="answer scales by group")
        likert.add_argument("--survey", required=True, metavar="SLUG")
        add_format_argument(likert)
        top = sub.add_parser("top", help="the most frequent answers of one question")
        top.add_argument("--survey", required=True, metavar="SLUG")
        top.add_argument("--question", required=True, help="its column number or its text")
        top.add_argument("--n", type=int, default=10)
        add_format_argument(top)
        crosstab = sub.add_parser("crosstab", help="two questions against each other")
        crosstab.add_argument("--survey", required=True, metavar="SLUG")
        crosstab.add_argument("--rows", required=True, help="column number or text")
        crosstab.add_argument("--columns", required=True, help="column number or text")
        add_format_argument(crosstab)
        rates = sub.add_parser("rates", help="response rates of a fiscal year")
        rates.add_argument("--fiscal-year", type=fiscal_year_argument, required=True)
        add_format_argument(rates)

    def handle(self, *args, **options):
        name = options["report"]
        if name == "rates":
            report = reports.get("surveys.rates").run(
                user=COMMAND_LINE, period=Period.fiscal(options["fiscal_year"])
            )
            write_report(self, report, options["format"])
            return
        survey = Survey.objects.filter(slug=options["survey"]).first()
        if survey is None:
            raise CommandError(f"--survey {options['survey']}: no survey has this short name")
        filters = {"survey": survey.slug}
        if name == "tally":
            if options["top"] is not None and not 1 <= options["top"] <= 100:
                raise CommandError("--top must be between 1 and 100")
            filters["top"] = options["top"]
            if options["school"]:
                from gigaportal.models import School

                school = School.objects.filter(code=options["school"]).first()
                if school is None:
                    raise CommandError(f"--school {options['school']}: no school has this code")
                filters["school"] = school.pk
        elif name == "top":
            if not 1 <= options["n"] <= 100:
                raise CommandError("--n must be between 1 and 100")
            filters["question"] = self._question(survey, options["question"]).pk
            filters["n"] = options["n"]
        elif name == "crosstab":
            filters["rows"] = self._question(survey, options["rows"]).pk
            filters["columns"] = self._question(survey, options["columns"]).pk
        slug = {
            "tally": "surveys.tally",
            "likert": "surveys.likert",
            "top": "surveys.top",
            "crosstab": "surveys.crosstab",
        }[name]
        try:
            report = reports.get(slug).run(user=COMMAND_LINE, **filters)
        except Http404:
            raise CommandError("not found") from None
        write_report(self, report, options["format"])

    @staticmethod
    def _question(survey: Survey, text: str) -> Question:
        questions = Question.objects.filter(survey=survey)
        found = None
        if text.isdigit():
            found = questions.filter(position=int(text)).first()
        if found is None:
            import unicodedata

            found = questions.filter(text=unicodedata.normalize("NFKC", text).strip()).first()
        if found is None:
            raise CommandError(f"{text!r}: the survey has no such question (column number or text)")
        return found
