from django import template

register = template.Library()


@register.filter
def fields_with_errors(form):
    """The fields a person has to correct; a form-wide error marks no field, so it is not counted."""
    return [field for field in form if field.errors and not field.is_hidden]
