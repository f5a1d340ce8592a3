"""The "task on its way" key: callers in between publish none, and only the message it names clears it or hands it on
(a redelivered or older message does its work and ends, rather than starting a second chain)."""

from coalition.core.onitsway import OnItsWay


def test_only_the_message_on_its_way_clears_or_hands_on_the_key():
    way = OnItsWay("tests:on-its-way", 60)
    assert way.claim("first")
    assert not way.claim("second")
    way.forget("an-older-message")
    assert not way.claim("second")
    way.hand_on("first", "its-successor")
    way.forget("first")
    assert not way.claim("second")
    way.forget("its-successor")
    assert way.claim("second")


def test_without_a_token_the_key_is_cleared_whoever_asks():
    way = OnItsWay("tests:on-its-way", 60)
    assert way.claim()
    assert not way.claim()
    way.forget()
    assert way.claim()
