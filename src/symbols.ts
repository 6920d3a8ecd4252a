/**
 * Every symbol graceful-otel uses as a private key, in one place. Keys on objects the app owns
 * (servers, sockets) are local symbols; the engine's key is global so two copies of the package
 * in one process share one engine.
 */

/** On a watched server and on each of its sockets: the TrackedServer it belongs to. */
export const kTracked = Symbol('graceful-otel.tracked');
/** On a server never to be watched (the health server). */
export const kIgnored = Symbol('graceful-otel.ignored');
/** On a socket: start of its current request, ms modulo 2^30 so it stays a small integer. */
export const kRequestStart = Symbol('graceful-otel.requestStart');
/** On a socket: when it last became idle (accepted, or its last response done), same clock as kRequestStart. */
export const kIdleSince = Symbol('graceful-otel.idleSince');
/** On the raw socket under an https connection: its TLS handshake completed (the TLS socket is watched). */
export const kSecured = Symbol('graceful-otel.secured');
/** On globalThis: the process's one engine. */
export const kEngine = Symbol.for('graceful-otel.engine.v1');
