"""The Go weather guest (json-stdio) against its bundled table."""

from __future__ import annotations

import json

import pytest

from langchain_wasm.errors import WasmArgumentError, WasmGuestError
from tests.guests.conftest import GUESTS

TABLE = json.loads((GUESTS / "weather" / "weather_table.json").read_text())


def _round1(x: float) -> float:
    return round(x + (1e-9 if x >= 0 else -1e-9), 1)


def reference(city: str, units: str = "metric") -> dict:
    row = TABLE[city]
    temp, wind = row["temperature"], row["wind_speed"]
    if units == "imperial":
        temp, wind = _round1(temp * 9 / 5 + 32), _round1(wind / 0.44704)
    return {
        "city": city,
        "country": row["country"],
        "temperature": temp,
        "units": units,
        "condition": row["condition"],
        "humidity": row["humidity"],
        "wind_speed": wind,
    }


@pytest.fixture(scope="module")
def weather(load_guest):
    return load_guest("weather")


@pytest.mark.parametrize("city", sorted(TABLE))
def test_every_city_matches_the_table(weather, city):
    assert weather.call({"city": city}).value == reference(city)
    assert weather.call({"city": city, "units": "imperial"}).value == reference(city, "imperial")


def test_matching_ignores_case_and_whitespace(weather):
    assert weather.call({"city": "  sÃO pAULO ".replace("Ã", "ã")}).value == reference("São Paulo")
    assert weather.call({"city": "new york"}).value["city"] == "New York"


def test_unknown_city_is_a_clean_guest_error(weather):
    with pytest.raises(WasmGuestError, match="Atlantis") as info:
        weather.call({"city": "Atlantis"})
    assert info.value.code == 1
    assert "Paris" in str(info.value)  # it lists the known cities so the model can retry


@pytest.mark.parametrize(
    "args", [{}, {"city": ""}, {"city": 5}, {"city": "Paris", "units": "kelvin"}, {"city": "Paris", "x": 1}]
)
def test_bad_arguments_never_reach_the_guest(weather, args):
    with pytest.raises(WasmArgumentError):
        weather.call(args)


def test_no_network_and_only_declared_capabilities(weather):
    names = {imp.name for imp in weather.module.imports}
    assert not any(n.startswith("sock_") for n in names)
    assert weather.capabilities.clocks
    assert weather.capabilities.random
    assert not weather.capabilities.preopens
