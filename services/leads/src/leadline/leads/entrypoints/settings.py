"""Environment of the leads service (shared names documented in the root README.md, its own in services/leads/README.md)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from leadline.platform.settings import ServiceSettings

from ..domain.temperature import TemperatureRules


class LeadsSettings(ServiceSettings):
    service_name: str = "leads"
    http_port: int = 8003

    router_url: str = Field(
        default="http://127.0.0.1:8002", description="The router's agent API (claims, conversations)."
    )
    router_timeout_s: float = Field(
        default=5.0, description="Per call to the router; longer counts as unreachable (503)."
    )

    saga_pending_timeout_s: float = Field(
        default=10.0, description="A pending Add lead older than this is settled by recovery against the router."
    )
    saga_recovery_interval_s: float = Field(default=3.0, description="How often recovery looks for such sagas.")

    temperature_hot_window_minutes: float = Field(default=60, description="Hot needs a customer message this recent…")
    temperature_hot_min_exchanges: int = Field(default=4, description="…this much back-and-forth…")
    temperature_hot_max_answer_minutes: float = Field(default=15, description="…and answers at most this slow.")
    temperature_quiet_after_hours: float = Field(default=72, description="A customer silent this long is cold.")
    temperature_finished_cools_after_hours: float = Field(default=24, description="Finished this long ago: cold.")
    temperature_slow_answer_minutes: float = Field(
        default=30, description="A customer waiting longer: one step colder."
    )
    temperature_check_interval_s: float = Field(default=30.0, description="How often time-based cooling runs.")

    def temperature_rules(self) -> TemperatureRules:
        return TemperatureRules(
            hot_window=timedelta(minutes=self.temperature_hot_window_minutes),
            hot_min_exchanges=self.temperature_hot_min_exchanges,
            hot_max_answer_delay=timedelta(minutes=self.temperature_hot_max_answer_minutes),
            quiet_after=timedelta(hours=self.temperature_quiet_after_hours),
            finished_cools_after=timedelta(hours=self.temperature_finished_cools_after_hours),
            slow_answer_after=timedelta(minutes=self.temperature_slow_answer_minutes),
        )
