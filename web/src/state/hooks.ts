// Preact glue for the live store: re-render a component when its topic changes.
import { useEffect, useReducer } from 'preact/hooks';
import { live, type Topic } from './live.js';

export function useTopic(...topics: Topic[]): typeof live {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const offs = topics.map((t) => live.subscribe(t, () => bump(undefined)));
    return () => offs.forEach((off) => off());
    // topics is a fixed list per call site
  }, []);
  return live;
}
