from . import standards


def reservation_headers(get_response):
    """Every answer of the site carries the coalition's own reservation (TDMRep and Content-Usage headers)."""
    stances = standards.COALITION_STANCES
    reservation = str(standards.tdm_reservation(stances))
    usage = standards.content_usage(stances)

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("tdm-reservation", reservation)
        response.headers.setdefault("Content-Usage", usage)
        return response

    return middleware
