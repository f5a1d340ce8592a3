"""The pace of bulk mail: at most MAIL_BULK_RATE mails a second, counted for every worker together."""

from coalition.mail.pacing import bulk_allowance


def test_bulk_mail_goes_a_window_at_a_time_then_waits_for_the_next(settings):
    settings.MAIL_BULK_RATE = 5  # a batch of 50 every ten seconds
    settings.MAIL_BATCH_SIZE = 50
    assert bulk_allowance(50) == (50, 0)
    allowed, wait = bulk_allowance(50)
    assert allowed == 0 and 0 < wait <= 10


def test_a_fast_pace_lets_several_batches_through_a_window_and_no_more(settings):
    settings.MAIL_BULK_RATE = 20  # 60 mails every 3 seconds
    settings.MAIL_BATCH_SIZE = 50
    assert bulk_allowance(50) == (50, 0)
    assert bulk_allowance(50) == (10, 0)
    allowed, wait = bulk_allowance(50)
    assert allowed == 0 and 0 < wait <= 3
