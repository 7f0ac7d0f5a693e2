// An OpenAI-compatible chat-completions server over a local GGUF model (node-llama-cpp), for
// the AI writer's tests: POST /v1/chat/completions with `messages`, `max_tokens`,
// `temperature` and `response_format` (`json_schema` becomes a grammar the output must follow,
// `json_object` any JSON). One request at a time; each gets a fresh chat.
//
//   node server.mjs --model FILE.gguf [--port 0] [--threads 2]
//
// Prints `listening http://127.0.0.1:PORT/v1` once the model is loaded.

import http from 'node:http';
import { parseArgs } from 'node:util';
import { getLlama, LlamaChatSession } from 'node-llama-cpp';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    port: { type: 'string', default: '0' },
    threads: { type: 'string', default: '2' },
  },
});
if (!args.model) {
  console.error('usage: node server.mjs --model FILE.gguf [--port 0] [--threads 2]');
  process.exit(2);
}

const started = Date.now();
// The prebuilt CPU binary; never a build from source. Without a thread count llama.cpp takes
// more threads than these machines have cores and crawls.
const llama = await getLlama({ gpu: false, build: 'never' });
const model = await llama.loadModel({ modelPath: args.model });
const context = await model.createContext({ contextSize: 4096, threads: Number(args.threads) });
const modelName = args.model.split('/').pop().replace(/\.gguf$/, '');

// One request at a time: the context has one sequence.
let queue = Promise.resolve();
const serially = (work) => {
  const run = queue.then(work, work);
  queue = run.catch(() => {});
  return run;
};

async function complete(request) {
  const messages = Array.isArray(request.messages) ? request.messages : [];
  const system = messages.filter((m) => m.role === 'system').map((m) => String(m.content)).join('\n');
  const user = messages.filter((m) => m.role === 'user').map((m) => String(m.content)).join('\n');
  const format = request.response_format?.type;
  let grammar;
  if (format === 'json_schema') {
    grammar = await llama.createGrammarForJsonSchema(request.response_format.json_schema.schema);
  } else if (format === 'json_object') {
    grammar = await llama.getGrammarFor('json');
  }
  const sequence = context.getSequence();
  try {
    const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: system });
    const began = Date.now();
    const content = await session.prompt(user, {
      grammar,
      maxTokens: Math.min(Number(request.max_tokens) || 1024, 2048),
      temperature: Number(request.temperature ?? 0.8),
    });
    console.error(`answered in ${Date.now() - began} ms (${format ?? 'no format'})`);
    return {
      id: `chatcmpl-${Date.now()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: modelName,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    };
  } finally {
    sequence.dispose();
  }
}

function send(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

const server = http.createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/v1/models') {
    return send(response, 200, { object: 'list', data: [{ id: modelName, object: 'model' }] });
  }
  if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
    return send(response, 404, { error: { message: 'not found' } });
  }
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', async () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(response, 400, { error: { message: 'the body is not JSON' } });
    }
    try {
      send(response, 200, await serially(() => complete(body)));
    } catch (error) {
      console.error(error);
      send(response, 500, { error: { message: String(error?.message ?? error) } });
    }
  });
});
server.listen(Number(args.port), '127.0.0.1', () => {
  console.error(`model loaded in ${Date.now() - started} ms`);
  console.log(`listening http://127.0.0.1:${server.address().port}/v1`);
});
