"""abmxl.sample.generate: determinism, sizes, the spec's columns, sane references, messy rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from abmxl.sample import generate
from abmxl.schema import DEFAULT_CHANNEL_WEIGHTS, DEFAULT_SETTINGS, INPUT_SHEETS, normalize_token

AS_OF = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate(400, seed=5)


@pytest.fixture(scope="module")
def messy() -> dict[str, pd.DataFrame]:
    return generate(200, seed=5, messy=True)


def test_same_seed_same_tables_other_seed_other_tables() -> None:
    first, again, other = generate(60, seed=3), generate(60, seed=3), generate(60, seed=4)
    for name in INPUT_SHEETS:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not first["Accounts"].equals(other["Accounts"])
    assert not first["Engagement"].equals(other["Engagement"])


def test_every_input_sheet_with_the_spec_columns(tables: dict[str, pd.DataFrame]) -> None:
    assert list(tables) == list(INPUT_SHEETS)
    for name, spec in INPUT_SHEETS.items():
        assert list(tables[name].columns) == [column.name for column in spec.columns], name


@pytest.mark.parametrize(
    ("n_accounts", "engagement", "contacts", "opportunities"),
    [(1, 3.0, 0.0, 1.0), (50, 10.0, 2.0, 0.4), (333, 2.5, 0.5, 0.1), (1000, 0.0, 7.0, 0.0)],
)
def test_sizes_are_exact(
    n_accounts: int, engagement: float, contacts: float, opportunities: float
) -> None:
    tables = generate(
        n_accounts,
        engagement_per_account=engagement,
        contacts_per_account=contacts,
        opportunities_per_account=opportunities,
    )
    assert len(tables["Accounts"]) == n_accounts
    assert len(tables["Engagement"]) == round(n_accounts * engagement)
    assert len(tables["Contacts"]) == round(n_accounts * contacts)
    assert len(tables["Opportunities"]) == round(n_accounts * opportunities)


def test_default_contacts_are_3_to_12_per_account(tables: dict[str, pd.DataFrame]) -> None:
    per_account = tables["Contacts"]["account_id"].value_counts()
    assert len(per_account) == len(tables["Accounts"])
    assert per_account.min() >= 3
    assert per_account.max() <= 12


def test_settings_and_channel_weights_hold_the_defaults(tables: dict[str, pd.DataFrame]) -> None:
    settings = dict(zip(tables["Settings"]["key"], tables["Settings"]["value"], strict=True))
    assert settings == {**DEFAULT_SETTINGS, "as_of": AS_OF}
    weights = tables["ChannelWeights"]
    assert dict(zip(weights["channel"], weights["weight"], strict=True)) == DEFAULT_CHANNEL_WEIGHTS


def test_accounts_look_real(tables: dict[str, pd.DataFrame]) -> None:
    accounts = tables["Accounts"]
    assert accounts["account_id"].iloc[:3].tolist() == ["ACC-00001", "ACC-00002", "ACC-00003"]
    assert accounts["account_id"].is_unique
    assert accounts["account_name"].str.match(r"^\w+ \w+ \S+").all()
    assert accounts["domain"].str.fullmatch(r"[a-z]+\.(com|io|co|net|ai)").all()
    # "NA" is North America: a value, present and never missing.
    assert accounts["region"].notna().all()
    assert (accounts["region"] == "NA").mean() > 0.3
    assert accounts["fit_score"].between(0, 100).all()
    in_icp = accounts["fit_score"] >= 70
    assert 0.3 < in_icp.mean() < 0.6  # a target list: many, not all, fit the ICP
    assert accounts["intent_score"].dropna().between(0, 100).all()
    assert accounts["expected_acv"].between(5_000, 500_000).all()
    assert set(accounts["tier_override"].dropna()) <= {0.0, 1.0, 2.0, 3.0}
    assert accounts["tier_override"].notna().sum() >= 1
    assert accounts["account_id"].map(type).eq(str).all()  # object dtype of Python str


def test_references_point_at_known_rows(tables: dict[str, pd.DataFrame]) -> None:
    account_ids = set(tables["Accounts"]["account_id"])
    for name in ("Contacts", "Engagement", "Opportunities", "Surveys"):
        assert set(tables[name]["account_id"]) <= account_ids, name
    contacts = tables["Contacts"]
    owner = dict(zip(contacts["contact_id"], contacts["account_id"], strict=True))
    linked = tables["Engagement"].dropna(subset=["contact_id"])
    assert len(linked) > 0.4 * len(tables["Engagement"])
    assert (linked["contact_id"].map(owner) == linked["account_id"]).all()


def test_engagement_dates_channels_and_weights(tables: dict[str, pd.DataFrame]) -> None:
    engagement = tables["Engagement"]
    as_of = pd.Timestamp(AS_OF)
    assert engagement["date"].min() >= as_of - pd.Timedelta(days=364)
    assert engagement["date"].max() <= as_of + pd.Timedelta(days=30)
    after = (engagement["date"] > as_of).mean()
    assert 0 < after < 0.03  # a few events in the future
    assert set(engagement["channel"]) == set(DEFAULT_CHANNEL_WEIGHTS)
    assert engagement["weight"].isna().mean() > 0.95  # mostly blank: the channel's weight
    assert (engagement["weight"].dropna() > 0).all()


def test_opportunities_follow_crm_conventions(tables: dict[str, pd.DataFrame]) -> None:
    opps = tables["Opportunities"]
    status = opps["status"].map(normalize_token)
    won = status.isin({"won", "closedwon"})
    lost = status.isin({"lost", "closedlost"})
    assert {"Closed Won", "Closed Lost"} <= set(opps["status"])
    assert 0.2 < won.mean() < 0.6 and 0.1 < lost.mean() < 0.5
    kind = opps["type"].fillna("New Business").map(normalize_token)
    assert {"newbusiness", "renewal", "expansion"} <= set(kind)
    assert opps["type"].isna().any()  # blank type = New Business
    closed = won | lost
    assert (opps.loc[closed, "close_date"] >= opps.loc[closed, "created_date"]).all()
    assert (opps.loc[closed, "close_date"] <= pd.Timestamp(AS_OF)).all()
    assert (opps["amount"] > 0).all()
    assert set(opps["term_years"].dropna()) <= {1.0, 2.0, 3.0}
    assert (
        opps["one_time_fees"].dropna() < opps.loc[opps["one_time_fees"].notna(), "amount"]
    ).all()
    # Renewals and expansions belong to accounts with a won New Business deal.
    new_business = kind == "newbusiness"
    customers = set(opps.loc[new_business & won, "account_id"])
    assert set(opps.loc[~new_business, "account_id"]) <= customers


def test_spend_and_surveys(tables: dict[str, pd.DataFrame]) -> None:
    spend = tables["Spend"]
    assert spend["date"].dt.day.eq(1).all()
    assert spend["date"].nunique() == 12
    assert set(spend["category"]) == {"Marketing", "Sales", "Overhead"}
    assert set(spend["tier"].dropna()) == {0.0, 1.0, 2.0, 3.0}
    assert spend["tier"].isna().any()  # program-wide
    assert (spend["amount"] > 0).all()
    surveys = tables["Surveys"]
    assert surveys["score"].isin(np.arange(11.0)).all()
    opps = tables["Opportunities"]
    won = opps["status"].map(normalize_token).isin({"won", "closedwon"})
    assert set(surveys["account_id"]) <= set(opps.loc[won, "account_id"])


def test_fifty_thousand_accounts_benchmark_sizes() -> None:
    tables = generate(
        50_000, engagement_per_account=10, contacts_per_account=2, opportunities_per_account=0.4
    )
    sizes = {name: len(frame) for name, frame in tables.items()}
    assert sizes["Accounts"] == 50_000
    assert sizes["Engagement"] == 500_000
    assert sizes["Contacts"] == 100_000
    assert sizes["Opportunities"] == 20_000


# --- messy mode ---------------------------------------------------------------


def _numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column, errors="coerce")


def _is_text(column: pd.Series) -> pd.Series:
    return column.map(lambda v: isinstance(v, str))


MESSY_KINDS = {
    "blank account_id in Accounts": lambda t: t["Accounts"]["account_id"].isna().any(),
    "duplicate account_id": lambda t: t["Accounts"]["account_id"].dropna().duplicated().any(),
    "formula-looking account name": lambda t: (
        t["Accounts"]["account_name"].str.startswith("=HYPERLINK(").any()
    ),
    "text in fit_score": lambda t: _is_text(t["Accounts"]["fit_score"]).any(),
    "fit_score out of range": lambda t: (_numbers(t["Accounts"]["fit_score"]) > 100).any(),
    "blank fit_score": lambda t: t["Accounts"]["fit_score"].isna().any(),
    "blank contact_id": lambda t: t["Contacts"]["contact_id"].isna().any(),
    "duplicate contact_id": lambda t: t["Contacts"]["contact_id"].dropna().duplicated().any(),
    "unknown account in Contacts": lambda t: (
        ~t["Contacts"]["account_id"].isin(t["Accounts"]["account_id"]).all()
    ),
    "unknown account in Engagement": lambda t: (
        ~t["Engagement"]["account_id"].dropna().isin(t["Accounts"]["account_id"]).all()
    ),
    "blank account in Engagement": lambda t: t["Engagement"]["account_id"].isna().any(),
    "blank engagement date": lambda t: t["Engagement"]["date"].isna().any(),
    "text engagement date": lambda t: _is_text(t["Engagement"]["date"]).any(),
    "negative weight": lambda t: (_numbers(t["Engagement"]["weight"]) < 0).any(),
    "text weight": lambda t: _is_text(t["Engagement"]["weight"]).any(),
    "unknown channel": lambda t: (
        ~t["Engagement"]["channel"].dropna().isin(list(DEFAULT_CHANNEL_WEIGHTS)).all()
    ),
    "blank channel": lambda t: t["Engagement"]["channel"].isna().any(),
    "duplicate opportunity_id": lambda t: (
        t["Opportunities"]["opportunity_id"].dropna().duplicated().any()
    ),
    "blank opportunity_id": lambda t: t["Opportunities"]["opportunity_id"].isna().any(),
    "unknown account in Opportunities": lambda t: (
        ~t["Opportunities"]["account_id"].dropna().isin(t["Accounts"]["account_id"]).all()
    ),
    "negative amount": lambda t: (_numbers(t["Opportunities"]["amount"]) < 0).any(),
    "text amount": lambda t: _is_text(t["Opportunities"]["amount"]).any(),
    "blank amount": lambda t: t["Opportunities"]["amount"].isna().any(),
    "blank status": lambda t: t["Opportunities"]["status"].isna().any(),
    "blank created_date": lambda t: t["Opportunities"]["created_date"].isna().any(),
    "text created_date": lambda t: _is_text(t["Opportunities"]["created_date"]).any(),
    "close before created": lambda t: (
        pd.to_datetime(t["Opportunities"]["close_date"], errors="coerce")
        < pd.to_datetime(t["Opportunities"]["created_date"], errors="coerce")
    ).any(),
    "unknown type": lambda t: t["Opportunities"]["type"].eq("Partner").any(),
    "negative spend": lambda t: (_numbers(t["Spend"]["amount"]) < 0).any(),
    "blank spend date": lambda t: t["Spend"]["date"].isna().any(),
    "survey score above 10": lambda t: (_numbers(t["Surveys"]["score"]) > 10).any(),
    "fractional survey score": lambda t: (_numbers(t["Surveys"]["score"]) % 1 > 0).any(),
    "unknown account in Surveys": lambda t: (
        ~t["Surveys"]["account_id"].isin(t["Accounts"]["account_id"]).all()
    ),
}


@pytest.mark.parametrize("kind", list(MESSY_KINDS))
def test_messy_mode_injects_each_kind_and_clean_mode_none(
    kind: str, messy: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame]
) -> None:
    assert MESSY_KINDS[kind](messy)
    assert not MESSY_KINDS[kind](tables)


def test_messy_rows_are_few_and_spread_out(messy: dict[str, pd.DataFrame]) -> None:
    clean = generate(200, seed=5)
    for name in INPUT_SHEETS:
        added = len(messy[name]) - len(clean[name])
        assert 0 <= added <= 12, name
    # Inserted among the good rows, not all appended at the end.
    blank_ids = np.flatnonzero(messy["Opportunities"]["opportunity_id"].isna())
    assert blank_ids.max() < len(messy["Opportunities"]) - 1 or len(blank_ids) == 1
    positions = np.flatnonzero(
        ~messy["Accounts"]["account_id"].isin(clean["Accounts"]["account_id"])
    )
    assert positions.min() < len(clean["Accounts"]) - 10


def test_messy_frames_keep_typed_columns_where_no_bad_cell_went(
    messy: dict[str, pd.DataFrame],
) -> None:
    assert messy["Accounts"]["intent_score"].dtype == np.float64
    assert messy["Surveys"]["date"].dtype.kind == "M"
    assert messy["Engagement"]["date"].dtype == object  # holds the text "last Tuesday"
    assert "last Tuesday" in set(messy["Engagement"]["date"])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n_accounts must be at least 1"):
        generate(0)
