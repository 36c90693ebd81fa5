"""A TCP proxy that delays every chunk sent upstream: the `app-slow` fault puts it between nginx and the app.

python -m stack.components.slowproxy LISTEN_PORT UPSTREAM_PORT DELAY_SECONDS
"""

from __future__ import annotations

import asyncio
import sys

from stack.config import HOST


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    try:
        while chunk := await reader.read(65536):
            if delay:
                await asyncio.sleep(delay)
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def _serve(listen_port: int, upstream_port: int, delay: float) -> None:
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.wait_for(
                asyncio.open_connection(HOST, upstream_port), timeout=5
            )
        except (OSError, TimeoutError):
            client_writer.close()
            return
        await asyncio.gather(
            _pipe(client_reader, upstream_writer, delay),
            _pipe(upstream_reader, client_writer, 0),
        )

    server = await asyncio.start_server(handle, HOST, listen_port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
