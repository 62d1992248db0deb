'use client';

import { useChat } from '@ai-sdk/react';
import type { UIMessage } from 'ai';
import { useState } from 'react';

type ChatMessage = UIMessage<{ costUsd?: number; budgetRemainingUsd?: number }>;

export default function Chat() {
  const { messages, sendMessage, status, error } = useChat<ChatMessage>();
  const [input, setInput] = useState('');
  return (
    <main>
      <h1>Paid by a wallet, under a budget</h1>
      {messages.map((message) => (
        <div key={message.id} style={{ margin: '1rem 0' }}>
          <strong>{message.role === 'user' ? 'You' : 'Venice'}</strong>
          <p>{message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('')}</p>
          {message.metadata?.costUsd !== undefined && (
            <small>
              cost ${message.metadata.costUsd} · budget left ${message.metadata.budgetRemainingUsd ?? '?'}
            </small>
          )}
        </div>
      ))}
      {error && <p role="alert">{error.message}</p>}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!input.trim()) return;
          sendMessage({ text: input });
          setInput('');
        }}
      >
        <input value={input} onChange={(e) => setInput(e.target.value)} placeholder="What is the weather in Lisbon?" />
        <button type="submit" disabled={status !== 'ready'}>
          Send
        </button>
      </form>
    </main>
  );
}
