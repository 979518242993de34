// A small Server-Sent Events parser for fetch() bodies (EventSource cannot send the bearer
// header). Feed it decoded text chunks; it calls onEvent({event, data}) per complete event.
// Comments (": ping") are ignored; data lines are joined with "\n" as the spec says.
export function createSseParser(onEvent) {
  let buffer = '';
  let event = '';
  let data = [];
  const line = (text) => {
    if (text === '') {
      if (data.length > 0) onEvent({ event: event || 'message', data: data.join('\n') });
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  };
  return {
    push(chunk) {
      buffer += chunk;
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buffer);
        if (m === null) break;
        // a lone "\r" at the very end may be the first half of "\r\n": wait for more
        if (m[0] === '\r' && m.index === buffer.length - 1) break;
        line(buffer.slice(0, m.index));
        buffer = buffer.slice(m.index + m[0].length);
      }
      if (buffer.length > 4 * 1024 * 1024) throw new Error('SSE line too long');
    },
  };
}
