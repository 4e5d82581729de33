/**
 * The core integration suite again, over the IRCv3 WebSocket transport: every TestClient in
 * these files connects to the server's HTTP port with `text.ircv3.net` instead of its IRC
 * port (see TERTULIA_TEST_TRANSPORT in test/helpers/client.ts), so registration, rooms,
 * messages, errors, IRCv3 (labeled-response, batches...), presence and the conformance
 * suite (line limits included) behave identically on both transports. The suites are imported after the switch is set (the helpers read it
 * when a client connects, so importing them statically is fine).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startServer } from '../helpers/server.js';

process.env['TERTULIA_TEST_TRANSPORT'] = 'ws';

await import('../integration/registration.test.js');
await import('../integration/channels.test.js');
await import('../integration/messaging.test.js');
await import('../integration/ircv3.test.js');
await import('../integration/presence.test.js');
// The line rules (RFC 2812 §2.3, message-tags §Size limit: every line cut to fit, on a UTF-8
// boundary) and the rest of issue 15's conformance hold on WebSocket too; that a message is
// one line, never split, is test/http/websocket.test.ts.
await import('../integration/conformance.test.js');

test('the suites above really ran over WebSocket (text.ircv3.net)', async () => {
  const srv = await startServer();
  try {
    const c = await TestClient.register(srv.port, 'viaws');
    assert.equal(c.wsProtocol, 'text.ircv3.net');
    assert.equal(srv.tertulia.server.metrics.connectionsByTransport.get('ws'), 1);
    assert.equal(srv.tertulia.server.metrics.connectionsByTransport.get('irc') ?? 0, 0);
    c.close();
  } finally {
    await srv.stop();
  }
});
