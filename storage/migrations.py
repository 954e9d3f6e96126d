"""memoria's schema as a versioned list of migrations (applied by `storage.schema.setup`)."""

from __future__ import annotations

from psycopg import sql

from storage import langgraph_policies, migration_sql, tenancy


def migrations(dims: int) -> list[sql.Composable]:
    """Return the migrations in order; index i is version i. Never edit one that shipped."""
    d = sql.Literal(dims)
    return [
        sql.SQL("CREATE EXTENSION IF NOT EXISTS vector; CREATE EXTENSION IF NOT EXISTS pg_trgm"),
        # A thread belongs to exactly one (tenant, user); checkpoints are keyed by thread_id
        # alone, so ownership must be claimed before anything reads them.
        sql.SQL("""
            CREATE TABLE threads (
                thread_id  text PRIMARY KEY,
                tenant_id  text NOT NULL,
                user_id    text NOT NULL,
                session_id uuid NOT NULL UNIQUE,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX threads_owner_idx ON threads (tenant_id, user_id, updated_at DESC)
        """),
        # Columns follow langchain-postgres PGVectorStore's layout (langchain_id, content,
        # embedding, langchain_metadata) plus the metadata columns every query filters on.
        sql.SQL("""
            CREATE TABLE kb_chunks (
                langchain_id uuid PRIMARY KEY,
                content      text NOT NULL,
                embedding    vector({d}) NOT NULL,
                tenant_id    text NOT NULL,
                doc_id       text NOT NULL,
                source       text NOT NULL,
                title        text NOT NULL,
                chunk_index  integer NOT NULL,
                langchain_metadata jsonb,
                content_tsv  tsvector
            );
            CREATE INDEX kb_chunks_doc_idx ON kb_chunks (tenant_id, doc_id);
            CREATE INDEX kb_chunks_embedding_idx ON kb_chunks
                USING hnsw (embedding vector_cosine_ops);
            CREATE INDEX kb_chunks_tsv_idx ON kb_chunks USING gin (content_tsv);
            CREATE TABLE kb_documents (
                tenant_id    text NOT NULL,
                doc_id       text NOT NULL,
                source       text NOT NULL,
                title        text NOT NULL,
                content_hash text NOT NULL,
                chunks       integer NOT NULL,
                ingested_at  timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, doc_id)
            )
        """).format(d=d),
        sql.SQL("""
            CREATE TABLE memory_messages (
                langchain_id uuid PRIMARY KEY,
                content      text NOT NULL,
                embedding    vector({d}) NOT NULL,
                tenant_id    text NOT NULL,
                user_id      text NOT NULL,
                thread_id    text NOT NULL,
                role         text NOT NULL,
                created_at   timestamptz NOT NULL,
                langchain_metadata jsonb,
                content_tsv  tsvector
            );
            CREATE INDEX memory_messages_owner_idx
                ON memory_messages (tenant_id, user_id, thread_id, created_at);
            CREATE INDEX memory_messages_embedding_idx ON memory_messages
                USING hnsw (embedding vector_cosine_ops);
            CREATE INDEX memory_messages_tsv_idx ON memory_messages USING gin (content_tsv)
        """).format(d=d),
        sql.SQL("""
            CREATE TABLE strategy_log (
                id         bigserial PRIMARY KEY,
                tenant_id  text NOT NULL,
                user_id    text NOT NULL,
                thread_id  text NOT NULL,
                strategy   text NOT NULL,
                reason     text NOT NULL,
                query      text NOT NULL,
                results    integer NOT NULL,
                latency_ms double precision NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX strategy_log_owner_idx
                ON strategy_log (tenant_id, user_id, created_at DESC)
        """),
        # The lexical leg scores BM25 from stemmed lexemes; a generated column keeps the
        # tsvector in step with content whoever writes the row. English stemming also folds
        # most Portuguese plurals ("reembolsos" -> "reembols").
        sql.SQL("""
            ALTER TABLE kb_chunks DROP COLUMN content_tsv;
            ALTER TABLE kb_chunks ADD COLUMN content_tsv tsvector
                GENERATED ALWAYS AS (to_tsvector('english', content)) STORED;
            CREATE INDEX kb_chunks_tsv_idx ON kb_chunks USING gin (content_tsv);
            ALTER TABLE memory_messages DROP COLUMN content_tsv;
            ALTER TABLE memory_messages ADD COLUMN content_tsv tsvector
                GENERATED ALWAYS AS (to_tsvector('english', content)) STORED;
            CREATE INDEX memory_messages_tsv_idx ON memory_messages USING gin (content_tsv)
        """),
        # Order of messages within a thread, so a hit's neighbours can be found: imported turns
        # of one session share a timestamp, so created_at cannot order them.
        sql.SQL("""
            ALTER TABLE memory_messages ADD COLUMN seq bigint NOT NULL DEFAULT 0;
            CREATE INDEX memory_messages_seq_idx
                ON memory_messages (tenant_id, user_id, thread_id, seq)
        """),
        # Deferred work of acknowledged turns (embedding, indexing, fact extraction), written in
        # the same transaction as the turn's messages and deleted in the same transaction as
        # its results. Versions change whenever what retrieval can return changes; cached
        # retrievals are keyed by them. Summaries record exactly which messages they cover.
        sql.SQL("""
            CREATE TABLE memory_outbox (
                id           bigserial PRIMARY KEY,
                tenant_id    text NOT NULL,
                user_id      text NOT NULL,
                thread_id    text NOT NULL,
                payload      jsonb NOT NULL,
                attempts     integer NOT NULL DEFAULT 0,
                last_error   text,
                available_at timestamptz NOT NULL DEFAULT now(),
                created_at   timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX memory_outbox_ready_idx ON memory_outbox (available_at, id);
            CREATE INDEX memory_outbox_owner_idx ON memory_outbox (tenant_id, user_id);
            CREATE TABLE memory_versions (
                tenant_id  text NOT NULL,
                scope      text NOT NULL,
                version    bigint NOT NULL DEFAULT 1,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant_id, scope)
            );
            CREATE TABLE memory_summaries (
                id         bigserial PRIMARY KEY,
                tenant_id  text NOT NULL,
                user_id    text NOT NULL,
                thread_id  text NOT NULL,
                summary    text NOT NULL,
                covers     text[] NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX memory_summaries_owner_idx
                ON memory_summaries (tenant_id, user_id, thread_id, id DESC);
            ALTER TABLE strategy_log ADD COLUMN cache text NOT NULL DEFAULT 'off'
        """),
        # Version 0 means "nothing stored yet", and the router then skips that source: give
        # everything stored before versions existed a version, so it is never skipped.
        sql.SQL("""
            INSERT INTO memory_versions (tenant_id, scope)
            SELECT DISTINCT tenant_id, 'user:' || user_id FROM memory_messages
            UNION
            SELECT DISTINCT tenant_id, 'kb' FROM kb_chunks
            ON CONFLICT DO NOTHING;
            DO $$ BEGIN
                IF to_regclass('store') IS NOT NULL THEN  -- PostgresStore's own table
                    INSERT INTO memory_versions (tenant_id, scope)
                    SELECT DISTINCT
                        replace(replace(split_part(prefix, '.', 2), '%2E', '.'), '%25', '%'),
                        'user:' || replace(replace(split_part(prefix, '.', 3), '%2E', '.'),
                                           '%25', '%')
                    FROM store WHERE prefix LIKE 'facts.%'
                    ON CONFLICT DO NOTHING;
                END IF;
            END $$
        """),
        # API keys map to a tenant. Only a SHA-256 of each key is stored: keys are 256-bit
        # random secrets, so a fast hash is enough and the table reveals nothing usable.
        sql.SQL("""
            CREATE TABLE api_keys (
                id         text PRIMARY KEY,
                tenant_id  text NOT NULL,
                name       text NOT NULL DEFAULT '',
                key_hash   bytea NOT NULL UNIQUE,
                created_at timestamptz NOT NULL DEFAULT now(),
                revoked_at timestamptz
            );
            CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id)
        """),
        # Uploads are indexed in the background; clients follow a job's progress.
        sql.SQL("""
            CREATE TABLE ingest_jobs (
                id           uuid PRIMARY KEY,
                tenant_id    text NOT NULL,
                doc_id       text NOT NULL,
                filename     text NOT NULL,
                status       text NOT NULL DEFAULT 'queued',
                chunks_done  integer NOT NULL DEFAULT 0,
                chunks_total integer,
                error        text,
                created_at   timestamptz NOT NULL DEFAULT now(),
                updated_at   timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX ingest_jobs_tenant_idx ON ingest_jobs (tenant_id, created_at DESC)
        """),
        # A turn is stored at most once: a crash between its commit and the checkpoint that
        # records it makes the next turn send its messages again, and they are skipped by id.
        sql.SQL("""
            CREATE INDEX chat_history_message_id_idx
                ON chat_history (session_id, (message -> 'data' ->> 'id'))
        """),
        # Row-level security on every table of tenant data, as defence in depth: see
        # memory/tenancy.py for the setting the policies read and who sets it.
        tenancy.policy_sql(),
        # The knowledge base's BM25 statistics (chunk count, summed tsvector lengths) per
        # document, so a search sums a row per document rather than reading every chunk.
        sql.SQL("""
            ALTER TABLE kb_documents ADD COLUMN lexemes bigint NOT NULL DEFAULT 0;
            UPDATE kb_documents d SET lexemes = coalesce((
                SELECT sum(length(c.content_tsv)) FROM kb_chunks c
                WHERE c.tenant_id = d.tenant_id AND c.doc_id = d.doc_id), 0)
        """),
        # Reads of the search tables and the transcript are left to their queries' filters
        # (the policy cost the full-text index); writes to them stay under the policy.
        tenancy.read_open_policy_sql(),
        # Which fact extractor a turn's job asks for ("llm" or "rules"): a worker takes only
        # jobs it can do as well as the turn's own process would have (memory/outbox.py).
        sql.SQL("ALTER TABLE memory_outbox ADD COLUMN extractor text NOT NULL DEFAULT 'rules'"),
        # HTTP runs key a thread's checkpoints by its session id (tenant, user and thread), so
        # a thread id someone else owns names another checkpoint (graph/turn.py). Checkpoints
        # written before are re-keyed; LangGraph's tables exist once its saver has set up.
        sql.SQL("""
            DO $$ BEGIN
                IF to_regclass('checkpoints') IS NOT NULL THEN
                    UPDATE checkpoints c SET thread_id = t.session_id::text
                    FROM threads t WHERE c.thread_id = t.thread_id;
                    UPDATE checkpoint_blobs c SET thread_id = t.session_id::text
                    FROM threads t WHERE c.thread_id = t.thread_id;
                    UPDATE checkpoint_writes c SET thread_id = t.session_id::text
                    FROM threads t WHERE c.thread_id = t.thread_id;
                END IF;
            END $$
        """),
        # Thread ids are a tenant's own: the same id in two tenants is two threads, so no
        # tenant can probe for, or squat on, another's thread ids.
        sql.SQL("""
            ALTER TABLE threads DROP CONSTRAINT threads_pkey;
            ALTER TABLE threads ADD PRIMARY KEY (tenant_id, thread_id)
        """),
        # Which embedding model made the stored vectors (storage/reindex.py), and the text a
        # message's vector embeds when it is not the message alone (its view), so a new
        # model can re-embed exactly what the first one did.
        sql.SQL("""
            CREATE TABLE embedding_model (
                only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
                model_id    text NOT NULL,
                dims        integer NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now()
            );
            ALTER TABLE memory_messages ADD COLUMN embedded_text text
        """),
        # Words are stemmed in each row's language (`lang`: en, pt, or simple when too short
        # to tell; NULL for rows written before, stemmed as English as they were), from the
        # accent-folded text (`search_text`: Postgres here has no unaccent).
        sql.SQL("; ").join(
            migration_sql.language_aware_tsv(t) for t in ("memory_messages", "kb_chunks")
        ),
        # User tokens (access/user_tokens.py): the secret that signs them, one for every
        # process on this database, and each token minted, so one (or all of a user's) can be
        # revoked and a revoked minting key takes its tokens with it.
        sql.SQL("; ").join(
            [
                sql.SQL("""
                    CREATE TABLE token_secret (
                        only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
                        secret     bytea NOT NULL,
                        created_at timestamptz NOT NULL DEFAULT now()
                    );
                    CREATE TABLE user_tokens (
                        jti        text PRIMARY KEY,
                        tenant_id  text NOT NULL,
                        user_id    text NOT NULL,
                        key_id     text NOT NULL,
                        issued_at  timestamptz NOT NULL,
                        expires_at timestamptz NOT NULL,
                        revoked_at timestamptz
                    );
                    CREATE INDEX user_tokens_user_idx ON user_tokens (tenant_id, user_id);
                    CREATE INDEX user_tokens_expires_idx ON user_tokens (expires_at)
                """),
                tenancy.table_policy_sql("user_tokens"),
            ]
        ),
        # API keys, facts (LangGraph's store) and checkpoints under row-level security too;
        # keys are found by digest through two owner's functions (storage/tenancy.py).
        langgraph_policies.langgraph_policy_sql(),
        # ---- Privacy (issue 18): consent, retention, user-level isolation. ----
        # Each user's own choice of memory on or off (memory/consent.py); no row: the
        # tenant's default from settings.
        sql.SQL("; ").join(
            [
                sql.SQL("""
                    CREATE TABLE memory_consent (
                        tenant_id  text NOT NULL,
                        user_id    text NOT NULL,
                        memory     boolean NOT NULL,
                        updated_at timestamptz NOT NULL DEFAULT now(),
                        PRIMARY KEY (tenant_id, user_id)
                    )
                """),
                tenancy.table_policy_sql("memory_consent"),
            ]
        ),
        # When retention archived a thread (memory/forget.py): out of recall, transcript kept.
        sql.SQL("ALTER TABLE threads ADD COLUMN archived_at timestamptz"),
        # A session acting for one user reads and writes that user's content only
        # (storage/tenancy.py USER_TABLES); the transcript's message id gets a column of its
        # own, so its lookups compare text and keep their index under the policy.
        sql.SQL("; ").join(
            [
                sql.SQL("""
                    ALTER TABLE chat_history ADD COLUMN message_id text
                        GENERATED ALWAYS AS (message -> 'data' ->> 'id') STORED;
                    CREATE INDEX chat_history_session_message_idx
                        ON chat_history (session_id, message_id);
                    DROP INDEX chat_history_message_id_idx
                """),
                tenancy.user_policy_sql(),
            ]
        ),
        # ---- end of privacy ----
        # ---- KB lexical leg (issue 17): per-term document frequencies and the totals, kept
        # by knowledge/terms.py with the chunks, so BM25 weighs a word without reading chunks.
        sql.SQL("; ").join(
            [
                sql.SQL("""
                    CREATE TABLE kb_terms (
                        tenant_id text NOT NULL,
                        lexeme    text NOT NULL,
                        chunks    integer NOT NULL,
                        PRIMARY KEY (tenant_id, lexeme)
                    );
                    INSERT INTO kb_terms (tenant_id, lexeme, chunks)
                    SELECT c.tenant_id, u.lexeme, count(*)
                    FROM kb_chunks c, unnest(c.content_tsv) u GROUP BY 1, 2;
                    CREATE TABLE kb_stats (
                        tenant_id text PRIMARY KEY,
                        chunks    bigint NOT NULL,
                        lexemes   bigint NOT NULL
                    );
                    INSERT INTO kb_stats (tenant_id, chunks, lexemes)
                    SELECT tenant_id, count(*), coalesce(sum(length(content_tsv)), 0)
                    FROM kb_chunks GROUP BY 1
                """),
                tenancy.table_policy_sql("kb_terms"),
                tenancy.table_policy_sql("kb_stats"),
            ]
        ),
        # ---- end of KB lexical leg ----
        # ---- A million messages (issue 17): a user's vectors in one range of a covering btree,
        # ranked exactly without the HNSW graph (memory/message_index.py DENSE); an entry
        # (id <= 128 chars, 512 dims = 2,056 bytes) stays under btree's 2,704-byte limit.
        sql.SQL("""CREATE INDEX memory_messages_user_vectors_idx
            ON memory_messages (tenant_id, user_id, role) INCLUDE (langchain_id, embedding)"""),
        # ---- end of a million messages ----
        # ---- Statement labels (issue 13, session 6): the attributes each user message states,
        # classified once by the outbox worker (memory/statement_labels.py owns the table); the
        # foreign key cascades, so forgetting, thread deletion and archiving take rows along.
        sql.SQL("; ").join(
            [
                sql.SQL("""
                    CREATE TABLE memory_statement_labels (
                        message_id  uuid NOT NULL
                            REFERENCES memory_messages (langchain_id) ON DELETE CASCADE,
                        attribute   text NOT NULL,
                        probability real NOT NULL,
                        tenant_id   text NOT NULL,
                        user_id     text NOT NULL,
                        created_at  timestamptz NOT NULL,
                        PRIMARY KEY (message_id, attribute)
                    );
                    CREATE INDEX memory_statement_labels_user_idx ON memory_statement_labels
                        (tenant_id, user_id, attribute, created_at DESC)
                """),
                tenancy.table_policy_sql("memory_statement_labels"),
                tenancy.user_table_policy_sql("memory_statement_labels"),
            ]
        ),
        # ---- end of statement labels ----
        # ---- Messages by words at a million (issue 17): each message's lexemes with their
        # term frequency and the message's length (storage/search.py POSTINGS), kept by
        # memory/message_terms.py with the message; the messages BM25 leg reads the question's
        # lexemes from the user's range of the btree instead of every row of the user. Back-
        # filled here, in key order, before the search index is built.
        migration_sql.message_terms(),
        # ---- Messages by meaning at a million (issue 17): each message's vector in 16-bit
        # floats, in `memory_message_half_vectors` (memory/message_half_vectors.py), under a
        # covering btree the dense leg ranks a user's rows from: half the pages of the last.
        migration_sql.message_half_vectors(),
        # ---- Own-clause labels (issues 13 and 17, session 10): how likely the user's own
        # clauses of a message that also speaks of someone else state each attribute
        # (memory/statement_labels.py), so the answer gate embeds nothing on the read path.
        # Rows labelled before it keep NULL: the gate embeds those messages' clauses as before.
        sql.SQL("ALTER TABLE memory_statement_labels ADD COLUMN own real"),
        migration_sql.summary_bounds(),  # Long threads (issue 17, session 13): its docstring.
    ]
