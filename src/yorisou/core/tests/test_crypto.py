import datetime

from django.core.exceptions import ImproperlyConfigured

import pytest
from cryptography.fernet import Fernet

from yorisou.core import crypto

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
OTHER_KEY = Fernet.generate_key().decode()


@pytest.fixture
def old_key_only(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]


def test_round_trip_keeps_japanese_text(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    token = crypto.encrypt("123456789012 熊本 太郎")
    assert "123456789012" not in token
    assert crypto.decrypt(token) == "123456789012 熊本 太郎"


def test_round_trip_of_empty_text(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert crypto.decrypt(crypto.encrypt("")) == ""


def test_tokens_differ_each_time(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert crypto.encrypt("123456789012") != crypto.encrypt("123456789012")


def test_json_round_trip(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    value = {"my_number": "123456789012", "氏名": "熊本 花子", "children": [1, 2]}
    assert crypto.decrypt_json(crypto.encrypt_json(value)) == value


def test_json_stores_dates_as_iso_strings(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    token = crypto.encrypt_json({"born": datetime.date(1990, 4, 1)})
    assert crypto.decrypt_json(token) == {"born": "1990-04-01"}


def test_older_key_still_decrypts_and_newest_encrypts(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    old_token = crypto.encrypt("secret")

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert crypto.decrypt(old_token) == "secret"
    new_token = crypto.encrypt("secret")
    assert Fernet(NEW_KEY).decrypt(new_token.encode()) == b"secret"


def test_rotate_moves_a_token_to_the_newest_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    old_token = crypto.encrypt("secret")

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    rotated = crypto.rotate(old_token)
    assert rotated != old_token

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert crypto.decrypt(rotated) == "secret"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old_token)


def test_wrong_key_raises_decryption_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OTHER_KEY]
    token = crypto.encrypt("secret")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_json(token)
    with pytest.raises(crypto.DecryptionError):
        crypto.rotate(token)


@pytest.mark.parametrize("token", ["", "not a token", "ｇａｒｂａｇｅ", "gAAAAAB"])
def test_garbage_raises_decryption_error(settings, token):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_tampered_token_raises_decryption_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    token = crypto.encrypt("secret")
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered)


def test_decrypt_json_of_plain_text_raises_decryption_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_json(crypto.encrypt("not json"))


def test_error_message_does_not_reveal_the_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["short-secret-key"]
    with pytest.raises(ImproperlyConfigured) as excinfo:
        crypto.encrypt("x")
    assert "short-secret-key" not in str(excinfo.value)
    assert excinfo.value.__cause__ is None


def test_empty_key_list_is_a_configuration_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")
