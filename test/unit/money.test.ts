import { Kind } from 'graphql';
import { MoneyScalar, toMajor, toMinor } from '../../src/graphql/money.scalar';
import { parseId } from '../../src/shared/ids';

describe('Money scalar', () => {
  it('converts between major and minor units without float drift', () => {
    expect(toMinor(0.1 + 0.2)).toBe(30);
    expect(toMinor(12500.5)).toBe(1_250_050);
    expect(toMajor(1_250_050)).toBe(12500.5);
    expect(toMajor('99')).toBe(0.99); // PostgreSQL returns bigint sums as strings
  });

  it('accepts numbers and numeric strings with at most two decimals', () => {
    expect(MoneyScalar.parseValue(19.99)).toBe(19.99);
    expect(MoneyScalar.parseValue('250')).toBe(250);
    expect(MoneyScalar.parseLiteral({ kind: Kind.FLOAT, value: '10.5' }, {})).toBe(10.5);
  });

  it('rejects non-finite, oversized and over-precise amounts', () => {
    expect(() => MoneyScalar.parseValue(Number.NaN)).toThrow('finite');
    expect(() => MoneyScalar.parseValue(1e14)).toThrow('at most');
    expect(() => MoneyScalar.parseValue(1.005)).toThrow('2 decimals');
    expect(() => MoneyScalar.parseValue('12abc')).toThrow('finite');
    expect(() => MoneyScalar.parseLiteral({ kind: Kind.BOOLEAN, value: true }, {})).toThrow('number');
  });
});

describe('parseId', () => {
  it('accepts positive integer ids and names the argument otherwise', () => {
    expect(parseId('42', 'dealId')).toBe(42);
    expect(parseId(7, 'id')).toBe(7);
    expect(() => parseId('abc', 'dealId')).toThrow('dealId is not a valid id');
    expect(() => parseId('0', 'id')).toThrow();
    expect(() => parseId('1e3', 'id')).toThrow();
    expect(() => parseId('99999999999999999999', 'id')).toThrow();
  });
});
