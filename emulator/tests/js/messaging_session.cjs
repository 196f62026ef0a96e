// amazon-chime-sdk-js's DefaultMessagingSession against chime-local, as a chat front end uses it:
// the endpoint comes from GetMessagingSessionEndpoint, the URL is presigned by the SDK's own
// DefaultSigV4, the session waits for SESSION_ESTABLISHED, prefetches, and receives what another
// user sends through @aws-sdk/client-chime-sdk-messaging.
//
// usage: node messaging_session.cjs ENDPOINT ACCESS_KEY SECRET LISTENER_ARN SENDER_ARN CHANNEL_ARN
// Prints one JSON line with what the listener received, and what a session started with each
// PrefetchSortBy value received before its prefetch; exits non-zero on any failure (bounded: 20 s).
'use strict';

// Node has no browser WebSocket global before v22; the `ws` package provides the same interface.
globalThis.WebSocket = globalThis.WebSocket || require('ws');

const {
  ChimeSDKMessagingClient,
  SendChannelMessageCommand,
} = require('@aws-sdk/client-chime-sdk-messaging');
const {
  DefaultMessagingSession,
  DefaultSigV4,
  LogLevel,
  ConsoleLogger,
  MessagingSessionConfiguration,
  PrefetchOn,
  PrefetchSortBy,
} = require('amazon-chime-sdk-js');

const [endpoint, accessKeyId, secretAccessKey, listener, sender, channel] = process.argv.slice(2);
if (!channel) {
  console.error('usage: node messaging_session.cjs ENDPOINT ACCESS_KEY SECRET LISTENER_ARN SENDER_ARN CHANNEL_ARN');
  process.exit(2);
}

// The SDK signs `wss://HOST/connect?…`; chime-local speaks plain ws on loopback. The scheme is not
// part of the signature, so the URL stays valid.
class LoopbackSigV4 {
  constructor(client) {
    this.inner = new DefaultSigV4(client);
  }
  async signURL(...args) {
    const url = await this.inner.signURL(...args);
    return url.replace(/^wss:/, 'ws:');
  }
}

const deadline = setTimeout(() => {
  console.error('timed out after 20 s');
  process.exit(1);
}, 20000);

async function main() {
  const client = new ChimeSDKMessagingClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId, secretAccessKey },
  });
  const configuration = new MessagingSessionConfiguration(listener, null, undefined, client);
  configuration.prefetchOn = PrefetchOn.Connect;
  const logger = new ConsoleLogger('chime-local-test', LogLevel.ERROR);
  const session = new DefaultMessagingSession(configuration, logger, undefined, undefined, new LoopbackSigV4(client));

  const received = [];
  let resolveMessage;
  const gotMessage = new Promise((resolve) => (resolveMessage = resolve));
  session.addObserver({
    messagingSessionDidReceiveMessage(message) {
      const payload = message.payload ? JSON.parse(message.payload) : null;
      received.push({ type: message.type, payload });
      if (message.type === 'CREATE_CHANNEL_MESSAGE') {
        resolveMessage(payload);
      }
    },
  });
  await session.start(); // resolves on SESSION_ESTABLISHED

  const sent = await client.send(
    new SendChannelMessageCommand({
      ChannelArn: channel,
      ChimeBearer: sender,
      Content: 'hello from amazon-chime-sdk-js',
      Type: 'STANDARD',
      Persistence: 'PERSISTENT',
      ClientRequestToken: 'js-client-test-1',
    })
  );
  const message = await gotMessage;
  session.stop();

  // A session per PrefetchSortBy value the SDK offers: each must be established and prefetch.
  const sorted = {};
  for (const sortBy of Object.values(PrefetchSortBy)) {
    const sortedConfiguration = new MessagingSessionConfiguration(listener, null, undefined, client);
    sortedConfiguration.prefetchOn = PrefetchOn.Connect;
    sortedConfiguration.prefetchSortBy = sortBy;
    const sortedSession = new DefaultMessagingSession(sortedConfiguration, logger, undefined, undefined, new LoopbackSigV4(client));
    const types = [];
    let resolveDetails;
    const gotDetails = new Promise((resolve) => (resolveDetails = resolve));
    sortedSession.addObserver({
      messagingSessionDidReceiveMessage(received) {
        types.push(received.type);
        if (received.type === 'CHANNEL_DETAILS') {
          resolveDetails();
        }
      },
    });
    await sortedSession.start();
    await gotDetails;
    sortedSession.stop();
    sorted[sortBy] = types;
  }
  clearTimeout(deadline);
  console.log(
    JSON.stringify({
      sentMessageId: sent.MessageId,
      types: received.map((r) => r.type),
      prefetchedChannel: (received.find((r) => r.type === 'CHANNEL_DETAILS') || {}).payload?.Channel?.ChannelArn,
      message,
      sorted,
    })
  );
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
