// Shown when the core answers 401: the operator pastes the join token (the file
// <data-dir>/join-token, or the #token=... part of the URL `osmo up` prints).
import { useState } from 'preact/hooks';
import { setToken } from '../api/token.js';

export function TokenPrompt() {
  const [value, setValue] = useState('');
  return (
    <form
      class="banner token"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) setToken(value.trim());
      }}
    >
      <label for="token">
        The core needs its access token (the file <code>.osmo/join-token</code>, or open the URL <code>osmo up</code> printed):
      </label>
      <input id="token" type="password" autocomplete="off" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit">Use token</button>
    </form>
  );
}
