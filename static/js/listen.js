// Event listeners added together and removed together: listen(target, {name: handler}) adds them
// and returns the function that removes them all (what a component calls in remove()).
export function listen(target, handlers) {
  for (const [name, handler] of Object.entries(handlers)) target.addEventListener(name, handler);
  return () => {
    for (const [name, handler] of Object.entries(handlers)) target.removeEventListener(name, handler);
  };
}
