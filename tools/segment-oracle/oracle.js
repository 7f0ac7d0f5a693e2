// Reads one JSON string per line on stdin; prints Twilio's calculator verdict per line.
const { SegmentedMessage } = require('sms-segments-calculator');
const readline = require('readline');

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const message = new SegmentedMessage(JSON.parse(line), 'auto', false);
  process.stdout.write(JSON.stringify({
    encoding: message.encodingName,
    segments: message.segmentsCount,
    non_gsm: message.getNonGsmCharacters(),
  }) + '\n');
});
