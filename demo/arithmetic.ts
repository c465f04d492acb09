/**
 * Evaluates arithmetic such as `12 * 49 * 12 * (1 - 0.20)`: numbers, + - * /, parentheses and
 * unary minus. The calculator tool uses it instead of `eval`, which would run any code a model wrote.
 */
export function evaluateArithmetic(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/()]|\S/g) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const take = () => tokens[position++];

  // expression := term (("+" | "-") term)* ; term := factor (("*" | "/") factor)*
  const parseExpression = (): number => {
    let value = parseTerm();
    while (peek() === "+" || peek() === "-") value = take() === "+" ? value + parseTerm() : value - parseTerm();
    return value;
  };
  const parseTerm = (): number => {
    let value = parseFactor();
    while (peek() === "*" || peek() === "/") {
      if (take() === "*") {
        value *= parseFactor();
      } else {
        const divisor = parseFactor();
        if (divisor === 0) throw new RangeError(`division by zero in "${expression}"`);
        value /= divisor;
      }
    }
    return value;
  };
  const parseFactor = (): number => {
    const token = take();
    if (token === "-") return -parseFactor();
    if (token === "(") {
      const value = parseExpression();
      if (take() !== ")") throw new SyntaxError(`missing ")" in "${expression}"`);
      return value;
    }
    if (token !== undefined && /^\d/.test(token)) return Number(token);
    throw new SyntaxError(`unexpected ${token === undefined ? "end" : `"${token}"`} in "${expression}"`);
  };

  const result = parseExpression();
  if (position < tokens.length) throw new SyntaxError(`unexpected "${peek()}" in "${expression}"`);
  return result;
}
