from django import template

from coalition.registry.selectors import registry_counter

register = template.Library()


@register.inclusion_tag("registry/_counter.html")
def registry_counter_line():
    """The registry's headline figure, for the letter and press pages."""
    return {"counter": registry_counter()}
