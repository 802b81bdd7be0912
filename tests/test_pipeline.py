import pytest

from captag_desktop.core.pipeline import Cancelled, CancelToken, PhotoResult, Progress, drive


def job(log):
    for i in range(5):
        log.append(i)
        yield Progress("s", i / 5)
    return PhotoResult(image="x", captions={"en": "done"})


def test_drive_returns_result_and_reports_progress():
    ticks = []
    result = drive(job([]), on_progress=ticks.append)
    assert result.captions == {"en": "done"}
    assert [t.fraction for t in ticks] == [0, 0.2, 0.4, 0.6, 0.8]


def test_cancel_stops_at_next_tick():
    log, token = [], CancelToken()

    def cancel_after_two(tick):
        if tick.fraction >= 0.2:
            token.cancel()

    with pytest.raises(Cancelled):
        drive(job(log), token, cancel_after_two)
    assert log == [0, 1]


def test_error_result_json_has_only_image_and_error():
    assert PhotoResult(image="a.jpg", error="bad").to_json() == {"image": "a.jpg", "error": "bad"}
