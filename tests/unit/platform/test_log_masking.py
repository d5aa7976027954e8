"""Phone numbers and customer texts never reach the logs as written, unless explicitly unmasked."""

import json
import logging

import structlog

from leadline.platform.logging import configure_logging, mask_personal_data


def test_phone_numbers_keep_only_their_last_two_digits():
    masked = mask_personal_data(
        None, "info", {"event": "x", "wa_id": "5511987654321", "customer_phone": "+55 11 98765-4321"}
    )
    assert masked["wa_id"] == "***21"
    assert masked["customer_phone"] == "***21"


def test_message_texts_become_their_length():
    masked = mask_personal_data(None, "info", {"event": "x", "body": "Quero ver o Onix 2024", "caption": "foto"})
    assert masked["body"] == "<21 chars>"
    assert masked["caption"] == "<4 chars>"


def test_nested_payloads_are_masked_too():
    masked = mask_personal_data(
        None, "info", {"event": "x", "payload": {"text": {"body": "oi"}, "to": "5511912345678"}}
    )
    assert masked["payload"] == {"text": {"body": "<2 chars>"}, "to": "***78"}


def test_a_number_quoted_in_the_log_message_is_masked():
    masked = mask_personal_data(None, "info", {"event": "no conversation for +55 11 98765-4321"})
    assert "98765" not in masked["event"]
    assert masked["event"].endswith("***21")


def test_a_chat_stream_id_keeps_the_business_number_and_masks_the_customers():
    masked = mask_personal_data(
        None,
        "info",
        {
            "event": "x",
            "stream_id": "wa:106540352242922:5511987654321",
            "error": "no chat wa:106540352242922:5511987654321 yet",
        },
    )
    assert masked["stream_id"] == "wa:106540352242922:***21"
    assert masked["error"] == "no chat wa:106540352242922:***21 yet"


def test_configured_logging_writes_masked_json_lines(capsys):
    configure_logging("test", fmt="json")
    structlog.get_logger("t").info("inbound message", wa_id="5511987654321", body="segredo do cliente")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["wa_id"] == "***21" and record["body"] == "<18 chars>"
    assert "segredo" not in line and "987654321" not in line
    logging.getLogger().handlers.clear()


def test_unmasked_logging_is_an_explicit_choice(capsys):
    configure_logging("test", fmt="json", unmasked=True)
    structlog.get_logger("t").info("inbound message", wa_id="5511987654321")
    assert "5511987654321" in capsys.readouterr().err
    logging.getLogger().handlers.clear()


def test_configuring_again_reaches_loggers_already_in_use(capsys):
    """Loggers are cached on first use; a later configuration (a second app in the same process, a test capturing
    logs) must still reach them, or their lines would go through the first configuration's processors."""
    configure_logging("first", fmt="json")
    in_use = structlog.get_logger("in.use")
    in_use.info("first line")
    configure_logging("second", fmt="json", unmasked=True)
    in_use.info("second line", wa_id="5511987654321")
    assert "5511987654321" in capsys.readouterr().err.splitlines()[-1]
    with structlog.testing.capture_logs() as captured:
        in_use.warning("captured line")
    assert [line["event"] for line in captured] == ["captured line"]
    logging.getLogger().handlers.clear()
