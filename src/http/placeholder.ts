/**
 * The page served at `/` when the web client has not been built (web/dist is missing):
 * static HTML with no inline script or style, so it works under the strict
 * Content-Security-Policy the HTTP server sends.
 */
export const PLACEHOLDER_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tertulia</title>
</head>
<body>
<h1>tertulia</h1>
<p>This tertulia chat server is running. Its web client has not been built: run
<code>npm run build</code> where tertulia is installed, then reload this page.</p>
<p>Connect with any IRC client to this host (port 6667, or 6697 with TLS), or with a
WebSocket client to this address using the <code>text.ircv3.net</code> or
<code>binary.ircv3.net</code> subprotocol.</p>
</body>
</html>
`;
