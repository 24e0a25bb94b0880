"""The connections' form for a broker with a private key and a holder's name (LWork)."""

from __future__ import annotations


def test_a_private_key_is_kept_as_a_secret_and_read_from_a_file(qrun, tmp_path) -> None:
    """Never in the settings file, whatever the field says; read off the loop."""
    from desktop_app.session.hub import Hub
    from desktop_app.storage.journal import Journal
    from desktop_app.storage.secrets import SecretStore
    from desktop_app.storage.settings import Settings
    from desktop_app.viewmodels.profiles_vm import ProfileForm, ProfilesViewModel

    async def scenario() -> None:
        hub = Hub(settings=Settings.load(), secrets=SecretStore(), journal=Journal())
        vm = ProfilesViewModel(hub)
        form = ProfileForm(None, "lwork", "LWork", values={
            "tenant_id": "T001", "api_token": "tok", "login_name": "me@example.com",
            "password": "pw", "private_key": "-----BEGIN PRIVATE KEY-----\nAB\n-----END "
            "PRIVATE KEY-----\n", "server_ids": "MT4-Live=430"})
        profile, secrets = vm.split(form)
        assert "private_key" not in profile.fields and secrets is not None
        assert secrets["private_key"].startswith("-----BEGIN")
        assert profile.fields["server_ids"] == "MT4-Live=430"
        key_file = tmp_path / "tenant.pem"
        key_file.write_text("-----BEGIN PRIVATE KEY-----\nAB\n-----END PRIVATE KEY-----")
        assert (await vm.read_key_file(str(key_file))).startswith("-----BEGIN")
        failed: list[str] = []
        vm.failed.connect(failed.append)
        assert await vm.read_key_file(str(tmp_path / "missing.pem")) is None
        assert failed and failed[0].startswith("The key file could not be read")
        assert vm.owner_state("lw-nowhere") == (
            False, "Connect first: the broker keeps the holder's name.")
        await vm.aclose()
        hub.journal.close()

    qrun(scenario())
