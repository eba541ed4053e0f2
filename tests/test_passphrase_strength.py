"""Passphrase strength (issue 16): judged by zxcvbn with the user's name, the agency and the app's
own words, not by character classes. Before the change `Summer2026!!`, `Derby2026!!!` and
`police123456` were accepted."""

from __future__ import annotations

import pytest

from app.errors import InvalidInput
from app.vault import Vault
from app.vault.passphrase import MIN_BITS, estimate_bits, problems
from app.vault.vault import check_passphrase


@pytest.mark.parametrize("weak", ["Summer2026!!", "Derby2026!!!", "police123456", "Wilberforce2026!",
                                  "Password1234", "qwertyuiop12"])
def test_guessable_passphrases_are_refused(weak):
    found = problems(weak, ("alice", "DCON"))
    assert found and "too easy to guess" in found[0]


@pytest.mark.parametrize("good", ["kettle orbit marble 42", "lantern quartz meadow 77", "copper violin harbour 19"])
def test_random_words_are_accepted(good):
    assert problems(good, ("alice", "DCON")) == []
    assert estimate_bits(good) >= MIN_BITS


def test_the_users_own_name_and_agency_count_against_them():
    # Long and varied, but made of the user's name, the agency and the town: refused for her.
    assert problems("dcon okonkwo derby", ()) == []
    assert problems("dcon okonkwo derby", ("margaret.okonkwo", "DCON"))
    assert problems("margaret.okonkwo.dcon", ("margaret.okonkwo", "DCON"))


def test_creating_a_vault_with_a_weak_passphrase_is_refused(vault_path):
    with pytest.raises(InvalidInput, match="too easy to guess"):
        Vault.create(vault_path, user="alice", passphrase="Derby2026!!!", agency="DCON")
    assert not vault_path.exists()


def test_check_passphrase_names_whose_it_is():
    with pytest.raises(InvalidInput, match="The passphrase for bob was refused"):
        check_passphrase("police123456", "The passphrase for bob", user_inputs=("bob", "DCON"))


def test_cli_refuses_summer2026(spocdesk, tmp_path):
    result = spocdesk("init", tmp_path / "desk.vault", "--user", "alice", "--agency", "DCON", "--passphrase-stdin",
                      stdin="Summer2026!!\n")
    assert result.code == 4 and "too easy to guess" in result.err
