"""Process-wide settings, read from the environment and an optional `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
# Vector size of each embedding model (retrievers/embedders defines them; a test keeps the two
# in step), known here so storage can size its columns without loading a model.
EMBEDDING_DIMS = {"e5": 384, "minilm": 384, "use": 512}


class TenantPrivacy(BaseModel):
    """A tenant's privacy policy: memory by default, and how long idle conversations are kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    memory: bool = Field(
        default=True,
        description="Whether users remember by default (a user's own consent overrides it).",
    )
    retention_days: int | None = Field(
        default=None, ge=1, description="Threads idle this long are deleted or archived."
    )
    retention_action: Literal["delete", "archive"] = Field(
        default="delete",
        description="delete: every store, as `memoria forget --thread`; archive: the transcript "
        "is kept (and exported) but leaves recall, caches and the thread's state.",
    )
    keep_facts: bool = Field(
        default=True, description="Whether facts first stated in an expired thread stay."
    )


# The policy of tenants `memoria_privacy` does not name, unless it names "*".
DEFAULT_PRIVACY = TenantPrivacy()


class Settings(BaseSettings):
    """Settings for one memoria process: where data lives, which models to use, limits."""

    model_config = SettingsConfigDict(env_file=".env", env_prefix="", extra="ignore")

    # Storage. Unset URLs mean "start the embedded servers under memoria_data_dir".
    database_url: str | None = Field(default=None, description="External Postgres URI.")
    redis_url: str | None = Field(default=None, description="External Redis URI.")
    memoria_app_database_url: str | None = Field(
        default=None,
        description="The app's own Postgres login (role memoria_app, or a member of it) when "
        "DATABASE_URL is a superuser the server will not let log in as memoria_app without "
        "a password; migrations still run as DATABASE_URL.",
    )
    memoria_data_dir: Path = Field(
        default=REPO_ROOT / ".memoria", description="Where embedded services keep their data."
    )
    memoria_redis_port: int = Field(default=6391, description="Port of the embedded Redis.")
    pool_max_size: int = 10
    pool_timeout_s: float = Field(
        default=3.0,
        gt=0,
        description="Seconds a request waits for a Postgres connection before it gets 503.",
    )

    # Chat model: any OpenAI-compatible endpoint; unset means the offline extractive responder.
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    memoria_chat_model: str = "gpt-4o-mini"
    memoria_llm_timeout_s: float = 60.0

    # Reranking: Cohere when keyed, else the local scorer.
    cohere_api_key: SecretStr | None = None
    memoria_cohere_rerank_model: str = "rerank-v3.5"
    memoria_rerank_model: Path | None = Field(
        default=REPO_ROOT / "retrievers" / "models" / "rerank-v1.json",
        description="Learned reranker (JSON coefficients written by `memoria eval locomo --cv`); "
        "unset, missing or trained for another embedder: the hand-tuned order.",
    )

    # Embeddings: models shipped in pip wheels (retrievers/embedders). Changing the model
    # changes every vector: `memoria reindex` re-embeds what is stored (README).
    memoria_embedding_model: Literal["use", "e5", "minilm"] = Field(
        default="use",
        description="use: multilingual Universal Sentence Encoder v3 (default: measured best "
        "overall, BENCHMARKS.md); e5: multilingual-e5-small (4-bit); minilm: "
        "all-MiniLM-L6-v2 (English only).",
    )
    # minilm only: a local sentence-transformers model dir instead of the bundled one, and
    # int8 (linear layers quantised per channel, ~2.5x faster on CPU) or float32.
    memoria_embedding_model_path: Path | None = None
    memoria_embedding_quantize: Literal["int8", "none"] = "int8"

    # Identity and limits.
    memoria_default_tenant: str = "local"
    # Only for local development (LangGraph Studio): the user when config names none.
    memoria_dev_user: str | None = None
    memoria_max_message_chars: int = 32_000
    memoria_max_body_bytes: int = Field(
        default=4 * 1024 * 1024, description="Larger request bodies get 413 unread."
    )
    memoria_ingest_per_tenant: int = Field(
        default=2,
        ge=1,
        description="Uploads one tenant may have in progress (read or indexed) in one server "
        "process; more get 429.",
    )
    memoria_ingest_read_timeout_s: float = Field(
        default=30.0, gt=0, description="Time to read (parse and chunk) one uploaded file."
    )
    memoria_ingest_read_memory_mb: int = Field(
        default=512, ge=64, description="Memory to read one uploaded file, beyond the reader's."
    )
    memoria_max_header_bytes: int = Field(
        default=16 * 1024, gt=0, description="Requests with more header bytes get 431."
    )
    memoria_max_url_bytes: int = Field(
        default=8 * 1024, gt=0, description="Requests with a longer path and query get 414."
    )
    memoria_turn_wait_s: float = Field(
        default=30.0,
        ge=0,
        description="How long a turn waits for the turn before it on its thread to end "
        "(one turn per thread at a time) before it gets 409 with Retry-After.",
    )
    memoria_hot_window_messages: int = 20
    memoria_hot_window_ttl_s: int = 7 * 24 * 3600

    # Long-term memory.
    # LangGraph's default ("async") writes a checkpoint after every step, five to seven per
    # turn and ~20% of the server's CPU. A turn is made durable by persist's own transaction
    # (transcript and outbox job), not by intermediate checkpoints, which only a resumed run
    # would read; HTTP runs are never resumed. "exit" checkpoints once, as the run ends.
    # Studio / LangGraph Platform runs keep the platform's setting.
    memoria_checkpoint_durability: Literal["exit", "async", "sync"] = "exit"
    memoria_log_format: Literal["text", "json"] = Field(
        default="text",
        description="Log lines as readable text, or one JSON object per line for collectors.",
    )
    memoria_worker: Literal["inprocess", "off"] = Field(
        default="inprocess",
        description="Run the outbox worker inside this process, or leave it to `memoria worker`.",
    )
    memoria_retention_days: int | None = Field(
        default=None, ge=1, description="`memoria purge` deletes threads idle this long."
    )
    memoria_retrieval_cache_ttl_s: int = 3600
    memoria_privacy: dict[str, TenantPrivacy] = Field(
        default_factory=dict,
        description='Privacy policy per tenant id, JSON; "*" is every other tenant\'s, e.g. '
        '{"*": {"memory": true}, "clinic": {"memory": false, "retention_days": 180}}.',
    )
    memoria_backup_passphrase: SecretStr | None = Field(
        default=None,
        description="Encrypts `memoria backup` files (and decrypts them on restore); unset: "
        "backups are written unencrypted unless --passphrase-file is given.",
    )
    memoria_retention_interval_s: float = Field(
        default=3600.0, gt=0, description="How often the worker applies retention policies."
    )

    # Serving.
    memoria_auth: Literal["auto", "api_key", "off"] = Field(
        default="auto",
        description="auto: API keys required once any key exists (`memoria keys create`); "
        "api_key: always required; off: local mode, the default tenant or the request's.",
    )
    memoria_token_secret: SecretStr | None = Field(
        default=None,
        description="Signs user tokens (HS256), at least 32 characters; unset: a random secret "
        "generated once and kept in Postgres, shared by every process on that database.",
    )
    memoria_token_ttl_s: int = Field(
        default=3600, ge=60, description="Lifetime of a user token whose request names none."
    )
    memoria_token_max_ttl_s: int = Field(
        default=7 * 24 * 3600, ge=60, description="The longest lifetime a user token may ask for."
    )
    memoria_webhook_hosts: str = Field(
        default="",
        description="Hosts LangGraph runs may send webhooks to, comma-separated; empty refuses "
        "every webhook.",
    )
    memoria_public_docs: bool = Field(
        default=False,
        description="Serve /docs, /redoc and /openapi.json without a key even when keys are "
        "required (they are open in local mode anyway).",
    )
    memoria_rate_limit_per_key: str = Field(
        default="600/minute",
        description="Requests per API key: N/second, N/minute, N/hour, or off.",
    )
    memoria_rate_limit_per_user: str = Field(
        default="60/minute",
        description="Agent turns per user (tenant and user id): N/second|minute|hour, or off.",
    )
    memoria_host: str = "127.0.0.1"
    memoria_port: int = 8080

    # LangSmith tracing of turns: on when a key is set, unless LANGSMITH_TRACING=false. The
    # names are LangSmith's own (the legacy LANGCHAIN_* ones too), so one environment serves
    # both; they are read here so that a key in `.env` counts as well.
    langsmith_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("langsmith_api_key", "langchain_api_key")
    )
    langsmith_tracing: bool | None = Field(
        default=None,
        validation_alias=AliasChoices("langsmith_tracing", "langchain_tracing_v2"),
        description="false turns tracing off even with a key; true without a key is ignored.",
    )
    langsmith_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("langsmith_endpoint", "langchain_endpoint"),
        description="LangSmith API URL; unset means LangSmith's hosted API.",
    )
    langsmith_project: str | None = Field(
        default=None,
        validation_alias=AliasChoices("langsmith_project", "langchain_project"),
        description="Project the runs go to; unset means LangSmith's default project.",
    )

    @field_validator(
        "memoria_token_secret",
        "memoria_backup_passphrase",
        "langsmith_api_key",
        "langsmith_tracing",
        "langsmith_endpoint",
        "langsmith_project",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # docker-compose passes `LANGSMITH_API_KEY: ${LANGSMITH_API_KEY:-}`: empty, not absent.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("memoria_token_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "MEMORIA_TOKEN_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)"
                ", or unset to let memoria generate one"
            )
        return value

    @property
    def webhook_hosts(self) -> frozenset[str]:
        """Hosts LangGraph runs may name as webhooks, lower-cased."""
        hosts = (host.strip().lower() for host in self.memoria_webhook_hosts.split(","))
        return frozenset(host for host in hosts if host)

    def privacy(self, tenant_id: str) -> TenantPrivacy:
        """Return `tenant_id`'s privacy policy (its own, else "*", else the default)."""
        policies = self.memoria_privacy
        return policies.get(tenant_id) or policies.get("*") or DEFAULT_PRIVACY

    @property
    def memoria_embedding_dims(self) -> int:
        """Dimensions of the configured embedding model's vectors (its columns' size)."""
        return EMBEDDING_DIMS[self.memoria_embedding_model]

    @property
    def chat_model_configured(self) -> bool:
        """Whether an OpenAI-compatible chat model is configured."""
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def tracing_enabled(self) -> bool:
        """Whether turns are traced to LangSmith: a key is set and tracing is not turned off."""
        return self.langsmith_api_key is not None and self.langsmith_tracing is not False


@lru_cache
def get_settings() -> Settings:
    """Return the process settings, read once."""
    return Settings()
