"""The service's Ed25519 signing key and the keyring of public keys that verify its checkpoints
(both from the `cryptography` library, never hand-written).

The private key is made once, by `stations keys init` (or a development start): written to a
file of its own and linked into place, so two processes starting together end with one key.
`stations keys rotate` replaces it; every public key it ever had stays in the keyring, so a
checkpoint signed before a rotation still verifies.
"""

import base64
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_PEM_END = b"-----END PUBLIC KEY-----"


class MissingKey(RuntimeError):
    """No signing key where the settings say: production never makes one by itself."""


def key_id(public: Ed25519PublicKey) -> str:
    """Names the key in every checkpoint, so a rotated key's checkpoints stay verifiable."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_b64(public: Ed25519PublicKey) -> str:
    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


class SigningKey:
    def __init__(self, private: Ed25519PrivateKey):
        self._private = private
        self.public = private.public_key()
        self.key_id = key_id(self.public)

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def public_pem(self) -> str:
        return public_pem(self.public)

    def public_b64(self) -> str:
        return public_b64(self.public)

    @classmethod
    def from_pem(cls, pem: bytes) -> "SigningKey":
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the signing key must be an Ed25519 private key")
        return cls(key)

    @classmethod
    def load(cls, path: Path) -> "SigningKey":
        try:
            return cls.from_pem(path.read_bytes())
        except FileNotFoundError:
            raise MissingKey(f"签名密钥 {path} 不存在：先运行 `stations keys init` / no signing key at {path}:"
                             " run `stations keys init` first") from None

    @classmethod
    def load_or_create(cls, path: Path) -> "SigningKey":
        """The key kept at `path`, made there (readable by its owner only) if there is none yet."""
        if path.exists():
            return cls.load(path)
        _write_exclusively(path, Ed25519PrivateKey.generate())
        return cls.load(path)  # the key made here, or the one a process starting beside this one linked first


def _write_exclusively(path: Path, key: Ed25519PrivateKey, *, replace: bool = False) -> None:
    """Write the key to a file of its own, then link it into place: a reader never sees half a key,
    and of two processes making one at once, the first link wins (the other's is discarded)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


class Keyring(Mapping[str, Ed25519PublicKey]):
    """The trusted public keys, by key id, as a PEM file holds them (oldest first, the current last)."""

    def __init__(self, keys: list[Ed25519PublicKey]):
        self._keys = {key_id(k): k for k in keys}
        self.current = keys[-1] if keys else None

    def __getitem__(self, name: str) -> Ed25519PublicKey:
        return self._keys[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    @classmethod
    def from_pem(cls, text: bytes) -> "Keyring":
        keys = []
        for block in text.split(_PEM_END)[:-1]:
            key = serialization.load_pem_public_key(block.strip() + b"\n" + _PEM_END + b"\n")
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("the keyring holds Ed25519 public keys only")
            keys.append(key)
        return cls(keys)

    @classmethod
    def load(cls, path: Path) -> "Keyring":
        try:
            return cls.from_pem(path.read_bytes())
        except FileNotFoundError:
            raise MissingKey(f"公钥环 {path} 不存在：先运行 `stations keys init` / no keyring at {path}:"
                             " run `stations keys init` first") from None


def trust(keyring: Path, public: Ed25519PublicKey) -> None:
    """Add the public key to the keyring file (once), under a lock: processes may add at once."""
    keyring.parent.mkdir(parents=True, exist_ok=True)
    with open(keyring, "a+b") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.seek(0)
        if key_id(public) not in Keyring.from_pem(file.read()):
            file.write(public_pem(public).encode())
            file.flush()
            os.fsync(file.fileno())


def init_keys(key_path: Path, keyring: Path) -> SigningKey:
    """The signing key, made if there is none (never twice, even by processes starting together),
    and its public key trusted."""
    key = SigningKey.load_or_create(key_path)
    trust(keyring, key.public)
    return key


def rotate_keys(key_path: Path, keyring: Path) -> SigningKey:
    """A new signing key in place of the old, whose public key stays trusted for what it signed."""
    old = SigningKey.load(key_path)
    trust(keyring, old.public)
    new = Ed25519PrivateKey.generate()
    trust(keyring, new.public_key())  # trusted before it signs anything
    _write_exclusively(key_path, new, replace=True)
    return SigningKey(new)


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))
