import { describe, expect, it } from 'vitest';
import { figure } from '../../../bench/stats';

describe('bench figures', () => {
  it('gives the median (mean of the middle two for an even count), min and max, keeping the values', () => {
    expect(figure([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, values: [3, 1, 2] });
    expect(figure([4, 1, 3, 2])).toMatchObject({ median: 2.5, min: 1, max: 4 });
    expect(figure([7])).toMatchObject({ median: 7, min: 7, max: 7 });
  });
});
