// Placeholder until the stack harness lands: unit tests need nothing.
export default function setup(): void {}
