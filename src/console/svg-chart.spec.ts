import { eventsPerMinuteSvg } from './svg-chart';

describe('eventsPerMinuteSvg', () => {
  const now = new Date('2026-12-02T10:30:20Z');

  it('stacks one bar per minute by status, inside the last hour only', () => {
    const svg = eventsPerMinuteSvg([
      { minute: new Date('2026-12-02T10:30:00Z'), status: 'done', n: 3 },
      { minute: new Date('2026-12-02T10:30:00Z'), status: 'dead', n: 1 },
      { minute: new Date('2026-12-02T10:29:00Z'), status: 'pending', n: 2 },
      { minute: new Date('2026-12-02T09:00:00Z'), status: 'done', n: 50 }, // outside the hour
    ], now);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg).toContain('data-status="dead"');
    expect(svg).toContain('(max 4)');
    expect(svg).not.toContain('style=');
  });

  it('draws an empty chart without data', () => {
    const svg = eventsPerMinuteSvg([], now);
    expect(svg).not.toContain('<rect');
    expect(svg).toContain('10:30');
  });

  it('escapes an unknown status name', () => {
    const svg = eventsPerMinuteSvg([{ minute: new Date('2026-12-02T10:30:00Z'), status: '<x>', n: 1 }], now);
    expect(svg).toContain('&lt;x&gt;');
    expect(svg).not.toContain('<x>');
  });
});
