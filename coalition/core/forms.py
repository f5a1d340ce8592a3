from django.forms.renderers import TemplatesSetting


class SiteFormRenderer(TemplatesSetting):
    """Every form renders its fields the way the sign form does (templates/forms/): label, then help, then the
    input, errors tied to it. TemplatesSetting so the project's templates/ directory can override Django's."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
