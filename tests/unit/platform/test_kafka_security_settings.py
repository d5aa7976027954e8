"""The Kafka settings block, and what it becomes for FastStream and aiokafka.

TLS is proven against a broker in ``tests/integration/platform/test_kafka_over_tls.py``. SASL is proven here only:
the embedded broker negotiates SCRAM but keeps no users (its storage's credential store is a no-op in this
build) and has no PLAIN, so no SASL client can log in to it.
"""

from __future__ import annotations

import ssl

import pytest
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import ValidationError

from leadline.platform import kafka_clients
from leadline.platform.settings import KafkaSettings
from tests.tls import issue_certificates

PASSWORD = "a-password-nobody-may-read"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return issue_certificates(tmp_path_factory.mktemp("certificates"))


def tls(certificates, **settings) -> KafkaSettings:
    return KafkaSettings(
        kafka_bootstrap_servers="kafka:9093",
        kafka_ssl_ca_file=certificates.ca,
        kafka_ssl_cert_file=certificates.client_cert,
        kafka_ssl_key_file=certificates.client_key,
        **settings,
    )


def test_plaintext_is_the_default_and_adds_nothing_to_the_address():
    settings = KafkaSettings(kafka_bootstrap_servers="kafka:9092")
    assert kafka_clients.security(settings) is None
    assert kafka_clients.connection(settings) == {"bootstrap_servers": "kafka:9092"}


def test_ssl_verifies_the_broker_against_the_given_ca_and_presents_the_client_certificate(certificates):
    options = kafka_clients.connection(tls(certificates, kafka_security_protocol="SSL"))
    context = options.pop("ssl_context")
    assert options == {"bootstrap_servers": "kafka:9093", "security_protocol": "SSL"}
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [dict(pair[0] for pair in ca["subject"]) for ca in context.get_ca_certs()] == [
        {"commonName": "leadline test cluster CA"}
    ]


def test_ssl_without_a_ca_file_trusts_the_systems_authorities():
    settings = KafkaSettings(kafka_bootstrap_servers="b-1.msk.example.com:9094", kafka_security_protocol="SSL")
    security = kafka_clients.security(settings)
    assert type(security) is BaseSecurity and security.use_ssl
    assert security.ssl_context.verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize(
    ("mechanism", "kind"), [("PLAIN", SASLPlaintext), ("SCRAM-SHA-256", SASLScram256), ("SCRAM-SHA-512", SASLScram512)]
)
def test_sasl_over_tls_names_the_mechanism_user_and_password(certificates, mechanism, kind):
    settings = KafkaSettings(
        kafka_bootstrap_servers="kafka:9094",
        kafka_security_protocol="SASL_SSL",
        kafka_ssl_ca_file=certificates.ca,
        kafka_sasl_mechanism=mechanism,
        kafka_sasl_username="leadline-router",
        kafka_sasl_password=PASSWORD,
    )
    assert type(kafka_clients.security(settings)) is kind
    options = kafka_clients.connection(settings)
    assert isinstance(options.pop("ssl_context"), ssl.SSLContext)
    assert options == {
        "bootstrap_servers": "kafka:9094",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": "leadline-router",
        "sasl_plain_password": PASSWORD,
    }


def test_sasl_without_tls_sends_no_tls_context():
    settings = KafkaSettings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="u",
        kafka_sasl_password=PASSWORD,
    )
    options = kafka_clients.connection(settings)
    assert (options["security_protocol"], options["ssl_context"], options["sasl_mechanism"]) == (
        "SASL_PLAINTEXT",
        None,
        "SCRAM-SHA-512",
    )


def test_the_settings_come_from_the_environment_names_the_readme_documents(certificates, monkeypatch):
    for name, value in {
        "KAFKA_BOOTSTRAP_SERVERS": "kafka:9094",
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SSL_CA_FILE": str(certificates.ca),
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
        "KAFKA_SASL_USERNAME": "leadline-ingest",
        "KAFKA_SASL_PASSWORD": PASSWORD,
    }.items():
        monkeypatch.setenv(name, value)
    options = kafka_clients.connection(KafkaSettings())
    assert (options["security_protocol"], options["sasl_mechanism"], options["sasl_plain_username"]) == (
        "SASL_SSL",
        "SCRAM-SHA-256",
        "leadline-ingest",
    )


def test_the_password_never_shows_in_the_settings_printed_or_dumped():
    settings = KafkaSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="u",
        kafka_sasl_password=PASSWORD,
    )
    assert PASSWORD not in repr(settings) + str(settings) + settings.model_dump_json()
    assert settings.kafka_sasl_password.get_secret_value() == PASSWORD


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "PLAIN", "kafka_sasl_username": "u"},
            "KAFKA_SECURITY_PROTOCOL=SASL_SSL needs KAFKA_SASL_PASSWORD",
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_sasl_username": "u"},
            "KAFKA_SASL_USERNAME set, but KAFKA_SECURITY_PROTOCOL=SSL does not use SASL",
        ),
        (
            {"kafka_ssl_ca_file": "/etc/kafka/ca.crt"},
            "KAFKA_SSL_CA_FILE set, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS",
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_cert_file": "/etc/kafka/user.crt"},
            "KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together",
        ),
        (
            {
                "kafka_security_protocol": "SASL_SSL",
                "kafka_sasl_mechanism": "GSSAPI",
                "kafka_sasl_username": "u",
                "kafka_sasl_password": "p",
            },
            "kafka_sasl_mechanism",
        ),
    ],
)
def test_inconsistent_settings_are_refused_naming_the_variables(settings, complaint):
    with pytest.raises(ValidationError, match=complaint):
        KafkaSettings(**settings)
