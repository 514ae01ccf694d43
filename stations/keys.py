"""The signing key's place in the service: `stations keys init|rotate`, the check that production
starts only with keys made on purpose, and the signer a projecting process runs.

The API process never reads the private key (issue 27): it verifies with the keyring of public
keys. The process that signs (`stations project`, or an API process that projects itself) loads
the key; in production it must already exist (`stations keys init`), in development it is made.
"""

from pathlib import Path

import typer
from rich.console import Console

from audit.checkpoints import Signer
from audit.signing import Keyring, MissingKey, SigningKey, init_keys, rotate_keys, trust
from audit.witness import Witness
from stations.installation import pinned_installation
from stations.settings import Settings, get_settings
from service.audit_trail import witness_in_city
from tenants.tenancy import Tenants

keys_app = typer.Typer(help="签名密钥 / The checkpoint signing key and its keyring.", no_args_is_help=True)
console = Console()


def require_keys(settings: Settings) -> None:
    """Production starts only once `stations keys init` has made the keys: never makes them itself.
    (The API checks the keyring, which it reads; the signer loads the private key itself.)"""
    if settings.environment == "production":
        if not Keyring.load(settings.keyring_path):
            raise MissingKey(f"公钥环 {settings.keyring_path} 为空 / the keyring {settings.keyring_path} is empty")


def signing_key(settings: Settings) -> SigningKey:
    """The signer's key: made in development (once, whichever process comes first), never in production."""
    if settings.environment == "production":
        key = SigningKey.load(settings.signing_key_path)
        trust(settings.keyring_path, key.public)
        return key
    return init_keys(settings.signing_key_path, settings.keyring_path)


def signer(settings: Settings, tenants: Tenants, database_url: str) -> Signer:
    """The signer of this database's checkpoints: its key, and its witness (the witness directory
    and the city's store)."""
    installation = pinned_installation(settings, database_url)
    return Signer(signing_key(settings), Witness(settings.witness_path, installation, witness_in_city(tenants)))


@keys_app.command("init")
def keys_init() -> None:
    """Make the signing key (once: an existing key is kept) and trust its public key."""
    settings = get_settings()
    key = init_keys(settings.signing_key_path, settings.keyring_path)
    _said(key, settings.signing_key_path, settings.keyring_path)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Replace the signing key (restart the signer after); the old public key stays trusted."""
    settings = get_settings()
    key = rotate_keys(settings.signing_key_path, settings.keyring_path)
    _said(key, settings.signing_key_path, settings.keyring_path)


def _said(key: SigningKey, path: Path, keyring: Path) -> None:
    console.print(f"签名密钥 / signing key: {path} (key_id {key.key_id})")
    console.print(f"公钥环 / keyring: {keyring} ({len(Keyring.load(keyring))} 把公钥 / public keys)")
