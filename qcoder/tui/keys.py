"""Keys typed faster than the workbench draws: every one applied, in the order typed.

Why this exists: Textual routes a key through message queues — the app checks its
priority bindings, forwards the key to the focused widget's queue, and an unhandled key
bubbles up through each parent's queue back to the app, where the ordinary bindings of
the *then* current screen are looked up. When keys arrive in a burst (a fast typist, a
busy machine, a browser tab behind ``qcoder serve`` whose keys come in one packet),
the app takes the next key before the previous one has finished that trip:

* Enter opens the code picker, and the letters typed right after it are looked up on
  the picker before its input has focus — they vanish;
* ctrl+n (a priority binding: "new code from what is typed") runs while the letters
  before it still sit in the input's queue, so it sees half a name or none;
* a key bubbling up through the coding screen after Enter meets the picker's bindings.

``OrderedKeys`` holds each key (and paste) until the one before has settled: no message
queued or being handled anywhere on the current screen or in the app, every widget of
that screen mounted, no call scheduled for after them (repaints may still be pending:
they change neither focus nor screens). Then it lets the key in. A key
that arrives while the app is idle and nothing is held goes straight in (handled at
once); nothing is dropped and nothing is debounced.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from textual import events, messages
from textual.app import App
from textual.keys import KEY_NAME_REPLACEMENTS, _character_to_key
from textual.message import Message
from textual.message_pump import MessagePump

# A screen that never settles (a widget busy without end) must not hold keys for ever:
# after this long the next key goes in anyway.
SETTLE_LIMIT_S = 5.0


# Drawing and housekeeping a key may leave behind: they change neither focus nor screens,
# so the next key need not wait for them (waiting for every repaint made keys lag behind
# a screen that redraws while the engine loads).
NOT_KEY_WORK: tuple[type[Message], ...] = (
    messages.Update,
    messages.Layout,
    messages.UpdateScroll,
    messages.Prompt,
    events.Idle,
    events.Timer,
)


def _busy(pump: MessagePump) -> bool:
    """Whether ``pump`` still has work of a key queued (a key itself, a callback, its mounting)."""
    if pump._next_callbacks:
        return True
    queued: Iterable[object] = pump._message_queue.values
    if queued and any(not isinstance(message, NOT_KEY_WORK) for message in queued):
        return True
    return not pump._is_mounted and pump.is_running  # (checked for every widget on each key: cheapest first)


def split_escape(event: events.Key | events.Paste) -> list[events.Key | events.Paste]:
    """Escape and the key typed right after it, which the terminal protocol sends as one alt+key.

    A terminal (and xterm.js in a browser) sends Escape as ESC and alt+j as ESC j, so an
    Escape followed within Textual's escape delay (0.1 s) by a letter — a fast typist, or
    both keys read at once on a busy machine — arrives as alt+j: Escape is lost and the
    letter with it. The workbench binds no alt+character key, so such a key is read as the
    two keys it almost certainly was. (alt+backspace and other named keys are left alone.)
    """
    if not isinstance(event, events.Key) or not event.key.startswith("alt+"):
        return [event]
    character = event.character
    if character is None or len(character) != 1 or not character.isprintable():
        return [event]
    name = character if character.isalnum() else _character_to_key(character)
    escape = events.Key("escape", "\x1b")
    key = events.Key(KEY_NAME_REPLACEMENTS.get(name, name), character)
    if event._sender is not None:
        escape.set_sender(event._sender)
        key.set_sender(event._sender)
    return [escape, key]


class OrderedKeys(App[Any]):
    """An app that lets a key in only once the previous key has been handled in full."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held_input: deque[events.Key | events.Paste] = deque()
        self._admitted: set[int] = set()  # ids of events let through the gate
        self._feeder: asyncio.Task[None] | None = None

    def screen_ready(self) -> bool:
        """Whether the app shows a screen its keys are meant for (QcoderApp: not the blank start)."""
        return True

    def keys_wait(self) -> bool:
        """Whether the next key must wait for something outside the message queues (QcoderApp: a document
        being read on the database lane)."""
        return False

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            if id(event) in self._admitted:
                self._admitted.discard(id(event))
            elif isinstance(event, events.Key) and self._straight_in(event):
                pass  # nothing held, the last key settled: in now, not a task and a trip through the queue later
            else:
                self._held_input.extend(split_escape(event))
                if self._feeder is None or self._feeder.done():
                    self._feeder = asyncio.create_task(self._feed(), name="qcoder-ordered-keys")
                return
        await super().on_event(event)

    def _straight_in(self, event: events.Key) -> bool:
        """Whether ``event`` may be handled at once: no key is held or being fed, and the screen has settled
        (what the feeder would find at its first check). Escape+key read as alt+key goes through the feeder."""
        if self._held_input or (self._feeder is not None and not self._feeder.done()):
            return False
        if split_escape(event) != [event]:
            return False
        return self._settled_or_late(time.monotonic())

    def settled(self) -> bool:
        """Nothing of the last key is still on its way: the app, its screens and this screen's widgets are idle."""
        if not self.screen_ready() or self.keys_wait():
            return False
        if _busy(self):
            return False
        for screen in self.screen_stack:
            if _busy(screen):
                return False
        return not any(_busy(widget) for widget in self.screen.walk_children(with_self=False))

    async def _feed(self) -> None:
        """Let the held keys in one at a time, each once everything before it has settled."""
        while self._held_input:
            began = time.monotonic()
            checks = 0
            while not self._exit and not self._settled_or_late(began):
                checks += 1
                await asyncio.sleep(0 if checks < 50 else 0.001)
            if self._exit:
                self._held_input.clear()
                return
            event = self._held_input.popleft()
            self._admitted.add(id(event))
            if not self.post_message(event):  # the app is closing
                self._admitted.discard(id(event))
            await asyncio.sleep(0)  # the app takes it before the next settle check

    def _settled_or_late(self, began: float) -> bool:
        try:
            if self.settled():
                return True
        except Exception:  # a check that fails must never cost a key: let it in
            return True
        return time.monotonic() - began > SETTLE_LIMIT_S and self.screen_ready()
