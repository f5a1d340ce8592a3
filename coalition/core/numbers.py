from django.utils.formats import number_format


def count_display(n):
    """A count as the active language writes it, digits grouped: "1,295" in English, "1 295" (a no-break space) in
    French. The same text as the templates' `intcomma`, for counts drawn or written outside a template."""
    return number_format(n, force_grouping=True)
