"""The API's database engines: a writer and a reader, SQLite tuned by llm_service.db."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from llm_service.db import create_private_sqlite_file, tune_sqlite


@dataclass(frozen=True)
class Engines:
    """`writer` for transactions that write, `reader` for reads.

    On SQLite the writer has one connection and begins every transaction with BEGIN
    IMMEDIATE (llm_service.db, shared with the LLM service); reads stay concurrent
    (WAL). On PostgreSQL both are the same engine.
    """

    writer: AsyncEngine
    reader: AsyncEngine

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def create_engines(url: str, *, echo: bool = False) -> Engines:
    if not url.startswith("sqlite"):
        engine = create_async_engine(
            url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True
        )
        return Engines(engine, engine)
    create_private_sqlite_file(url)
    writer = create_async_engine(url, echo=echo, pool_size=1, max_overflow=0)
    reader = create_async_engine(url, echo=echo, pool_size=5, max_overflow=10)
    tune_sqlite(writer, immediate=True)
    tune_sqlite(reader, immediate=False)
    return Engines(writer, reader)
