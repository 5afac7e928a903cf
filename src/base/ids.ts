import { randomBelow, randomHex } from './random.js';

/** A new 64-hex-digit id, as Docker uses for containers. */
export function newId(): string {
  return randomHex(32);
}

/** The 12-character short form Docker prints. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/*
 * Unnamed containers get `adjective_surname`, like Docker's: 132 adjectives × 277 surnames of
 * scientists, engineers and hackers (36564 names, the size of Docker's lists; berth's own words). With
 * only 288 names unnamed runs collided; a conflict is retried with a digit appended (see randomName).
 */
const adjectives = words(`
  able agile amber amused ancient ardent artful astute awake blissful bold bouncy breezy bright brisk bubbly
  busy candid careful cheerful chipper civil clever cosmic cozy crisp curious dapper daring dazzling deft
  devoted diligent dreamy dynamic earnest elastic electric elegant epic fearless fervent festive fierce flexible
  fluent focused frank fresh friendly frosty funny gallant giddy gifted glad gleaming golden graceful grand
  grateful hardy hearty helpful heroic honest hopeful humble ideal jovial joyful jubilant kind lively loyal
  lucky magical majestic mellow mighty modest musing mystic neat noble nimble optimistic patient peaceful placid
  playful plucky polite proud quick quirky radiant rapid ready relaxed resolute robust rosy rustic serene shiny
  silent sincere smiling snappy solid sparkling spirited spry steady stoic sturdy sunny superb swift thoughtful
  tidy tranquil trusty upbeat valiant vibrant vigilant warm witty zealous zesty
`);
const surnames = words(`
  lovelace babbage turing hopper knuth dijkstra hamilton ritchie thompson kernighan torvalds stallman cerf kahn
  shannon neumann noether curie einstein newton galileo kepler copernicus darwin mendel pasteur faraday maxwell
  tesla bohr heisenberg schrodinger dirac fermi feynman planck pauli born meitner hodgkin franklin mcclintock
  goodall carson lamarr hypatia euclid archimedes pythagoras euler gauss riemann hilbert cantor godel ramanujan
  poincare lagrange laplace fourier fibonacci pascal fermat descartes leibniz bernoulli cauchy galois abel
  jacobi dedekind weierstrass kovalevskaya germain somerville herschel hubble sagan hawking penrose
  chandrasekhar raman bose saha bhabha yukawa tomonaga wu yalow elion leavitt cannon payne rubin burnell
  mirzakhani johnson jackson vaughan easley goldberg liskov allen perlman borg bartik holberton antonelli sammet
  backus mccarthy minsky kay engelbart sutherland hoare wirth milner lamport rivest shamir adleman diffie
  hellman merkle rabin scott floyd tarjan hopcroft karp cook levin yao blum goldwasser micali pearl hinton lecun
  bengio stroustrup gosling rossum wall matsumoto eich hejlsberg pike bellard carmack wozniak moore noyce kilby
  bardeen brattain hollerith zuse atanasoff eckert mauchly aiken wilkes kilburn williams hamming huffman viterbi
  nyquist bell marconi hertz ampere ohm volta galvani coulomb joule kelvin rutherford chadwick millikan
  michelson morley lorentz minkowski boltzmann gibbs clausius carnot lavoisier dalton avogadro mendeleev boyle
  hooke huygens leeuwenhoek harvey jenner lister semmelweis fleming salk sabin koch crick watson wilkins sanger
  pauling nobel agnesi bassi cavendish priestley davy lyell hutton wegener humboldt linnaeus audubon wallace
  huxley haldane fisher wright dobzhansky margulis woese blackburn doudna charpentier tu banach church post
  kleene curry naur mcilroy ossanna joy mockapetris postel metcalfe baran davies kleinrock roberts licklider
  nelson bush wiener morse jacquard napier brahe cassini halley messier lemaitre zwicky oort kuiper tombaugh
  shoemaker ride jemison tereshkova gagarin korolev goddard tsiolkovsky oberth
`);

function words(text: string): readonly string[] {
  return Object.freeze(text.trim().split(/\s+/));
}

/** How many distinct names randomName draws from without a suffix. */
export const randomNameCount = adjectives.length * surnames.length;

/**
 * A random human-friendly container name like `calm_hopper`. A `retry` above 0 (the name drawn
 * before was taken) appends a random digit, as Docker does: `calm_hopper7`.
 */
export function randomName(retry = 0): string {
  const name = `${adjectives[randomBelow(adjectives.length)]}_${surnames[randomBelow(surnames.length)]}`;
  return retry > 0 ? `${name}${randomBelow(10)}` : name;
}
