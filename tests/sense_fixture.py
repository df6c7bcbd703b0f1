"""A WordNet (real file format, see ``wordnet_fixture.py``) holding, word for word, the senses behind
each kind of wrong definition issue 13 lists: senses in WordNet's order with realistic tag counts,
lexicographer files, hypernyms, topic domains, derivational links, verb frames and usage examples.
"""

from __future__ import annotations

from pathlib import Path

from wordnet_fixture import FakeSynset as S
from wordnet_fixture import write_wordnet

V, N, A = "verb", "noun", "adj"

SENSE_VOCABULARY = [
    # -- the top of WordNet's noun hierarchy (its depth makes a kind specific or general) ---------
    S(N, "noun.Tops", ["entity"], "that which is perceived or known or inferred to have its own distinct existence", 0, key="entity"),
    S(N, "noun.Tops", ["physical entity"], "an entity that has physical existence", 0, key="physical", hypernyms=("entity",)),
    S(N, "noun.Tops", ["abstraction", "abstract entity"], "a general concept formed by extracting common features", 0, key="abstraction", hypernyms=("entity",)),
    S(N, "noun.Tops", ["object", "physical object"], "a tangible and visible entity", 0, key="object", hypernyms=("physical",)),
    S(N, "noun.Tops", ["whole", "unit"], "an assemblage of parts that is regarded as a single entity", 0, key="whole", hypernyms=("object",)),
    S(N, "noun.Tops", ["artifact", "artefact"], "a man-made object taken as a whole", 0, key="artifact", hypernyms=("whole",)),
    S(N, "noun.Tops", ["instrumentality", "instrumentation"], "an artifact that is instrumental in accomplishing some end", 0, key="instrumentality", hypernyms=("artifact",)),
    S(N, "noun.Tops", ["matter"], "that which has mass and occupies space", 0, key="matter", hypernyms=("physical",)),
    S(N, "noun.Tops", ["solid"], "matter that is solid at room temperature and pressure", 0, key="solid", hypernyms=("matter",)),
    S(N, "noun.Tops", ["psychological feature"], "a feature of the mental life of a living organism", 0, key="psych", hypernyms=("abstraction",)),
    S(N, "noun.Tops", ["event"], "something that happens at a given place and time", 0, key="event", hypernyms=("psych",)),
    S(N, "noun.Tops", ["act", "deed"], "something that people do or cause to happen", 0, key="act", hypernyms=("event",)),
    S(N, "noun.Tops", ["activity"], "any specific behavior", 0, key="activity", hypernyms=("act",)),
    S(N, "noun.act", ["diversion", "recreation"], "an activity that diverts or amuses or stimulates", 0, key="diversion", hypernyms=("activity",)),
    S(N, "noun.Tops", ["organism", "being"], "a living thing that has (or can develop) the ability to act or function independently", 0, key="organism", hypernyms=("whole",)),
    # -- hypernyms and domains the others point to ----------------------------------------------
    S(N, "noun.act", ["sport", "athletics"], "an active diversion requiring physical exertion and competition", 10, key="sport", hypernyms=("diversion",)),
    S(N, "noun.act", ["game"], "a contest with rules to determine a winner", 20, key="game", hypernyms=("sport",)),
    S(N, "noun.act", ["court game"], "an athletic game played on a court", 0, key="court_game", hypernyms=("game",)),
    S(N, "noun.act", ["field game"], "an athletic game played on an outdoor field", 0, key="field_game", hypernyms=("game",)),
    S(N, "noun.artifact", ["device"], "an instrumentality invented for a particular purpose", 20, key="device", hypernyms=("instrumentality",)),
    S(N, "noun.artifact", ["musical instrument", "instrument"], "any of various devices or contrivances that can be used to produce musical tones or sounds", 5, key="musical_instrument", hypernyms=("device",)),
    S(N, "noun.artifact", ["stringed instrument"], "a musical instrument in which taut strings provide the source of sound", 1, key="stringed", hypernyms=("musical_instrument",)),
    S(N, "noun.food", ["food", "solid food"], "any solid substance (as opposed to liquid) that is used as a source of nourishment", 10, key="food", hypernyms=("solid",)),
    S(N, "noun.food", ["baked goods"], "foods (like breads and cakes and pastries) that are cooked in an oven", 1, key="baked_goods", hypernyms=("food",)),
    S(N, "noun.food", ["dish"], "a particular item of prepared food", 3, key="dish", hypernyms=("food",)),
    S(N, "noun.food", ["dinner"], "the main meal of the day served in the evening or at midday", 10, key="dinner", hypernyms=("dish",)),
    S(N, "noun.food", ["edible fruit"], "edible reproductive body of a seed plant especially one having sweet flesh", 2, key="edible_fruit", hypernyms=("food",)),
    S(N, "noun.food", ["bread"], "food made from dough of flour or meal and usually raised with yeast or baking powder and then baked", 10, key="bread", hypernyms=("baked_goods",)),
    S(N, "noun.plant", ["herb", "herbaceous plant"], "a plant lacking a permanent woody stem", 1, key="herb", hypernyms=("organism",)),
    S(N, "noun.act", ["water sport"], "sports that involve bodies of water", 0, key="water_sport", hypernyms=("sport",)),
    S(N, "noun.group", ["market"], "the world of commercial activity where goods and services are bought and sold", 10),
    S(N, "noun.substance", ["water"], "binary compound that occurs at room temperature as a clear colorless odorless tasteless liquid", 100),
    S(N, "noun.object", ["rock", "stone"], "a lump or mass of hard consolidated mineral matter", 14),
    S(N, "noun.body", ["hand", "manus"], "the (prehensile) extremity of the superior limb", 215),
    S(N, "noun.person", ["person", "individual"], "a human being", 500, key="person", hypernyms=("organism",)),
    S(N, "noun.person", ["judge", "justice"], "a public official authorized to decide questions brought before a court of justice", 10, key="judge", hypernyms=("person",)),
    S(N, "noun.person", ["child", "kid"], "a young person of either sex", 50, hypernyms=("person",)),
    # -- catch: not "reach with a blow" -----------------------------------------------------------
    S(V, "verb.cognition", ["catch"], 'discover or come upon accidentally, suddenly, or unexpectedly; "She caught her son eating candy"', 19, frames=(9,)),
    S(V, "verb.contact", ["get", "catch"], 'reach with a blow or hit in a particular spot; "the rock caught her in the back of the head"', 10, frames=(8, 9, 10, 11)),
    S(V, "verb.contact", ["catch"], 'take hold of so as to seize or restrain or stop the motion of; "Catch the ball!"', 8, frames=(8, 9, 10, 11)),
    # -- clap: one's hands, not "put quickly" -------------------------------------------------------
    S(V, "verb.contact", ["clap"], 'put quickly or forcibly; "The judge clapped him in jail"', 2, frames=(20, 21)),
    S(V, "verb.body", ["clap"], 'clap one\'s hands together; "The children were clapping to the music"', 1, frames=(2,)),
    # -- wave: the greeting, not brandishing ---------------------------------------------------
    S(V, "verb.communication", ["wave", "beckon"], 'signal with the hands or nod; "She waved to her friends"', 21, frames=(2, 8, 27)),
    S(V, "verb.contact", ["wave", "brandish"], 'move or swing back and forth; "She waved her gun"', 5, frames=(8,)),
    S(N, "noun.event", ["wave"], "one of a series of ridges that moves across the surface of a liquid", 40),
    # -- dive: into water, not "drop steeply" -------------------------------------------------------
    S(V, "verb.motion", ["dive", "plunge"], 'drop steeply; "the stock market plunged"', 4, frames=(1, 2, 22)),
    S(V, "verb.motion", ["dive"], 'plunge into water; "I was afraid to dive from the board into the pool"', 1, frames=(1, 2, 22), domain="water_sport"),
    # -- dribble: the ball, not a trickle -----------------------------------------------------------
    S(V, "verb.motion", ["trickle", "dribble"], 'run or flow slowly, as in drops or in an unsteady stream; "water trickled onto the lawn"', 2, frames=(1, 4)),
    S(V, "verb.contact", ["dribble", "carry"], 'propel; "Carry the ball"; "dribble the ball"', 0, frames=(2, 8), domain="sport"),
    S(N, "noun.act", ["basketball", "hoops"], "a game played on a court by two opposing teams of 5 players", 3, hypernyms=("court_game",)),
    S(N, "noun.artifact", ["basketball"], "an inflated ball used in playing basketball", 0, key="basketball_ball"),
    S(N, "noun.artifact", ["ball"], "round object that is hit or thrown or kicked in games", 35, key="ball"),
    # -- make: a cake or the bed, not "reach" ---------------------------------------------------------
    S(V, "verb.social", ["make", "do"], 'engage in; "make love, not war"; "make an effort"', 508, frames=(8,)),
    S(V, "verb.creation", ["make", "create"], 'make or cause to be or to become; "make a mess in one\'s office"', 243, key="make_create", frames=(8, 11)),
    S(V, "verb.motion", ["reach", "make", "attain"], 'reach a goal, e.g.; "make the first team"', 12, frames=(8,)),
    S(V, "verb.creation", ["make"], 'make by shaping or bringing together constituents; "make a dress"; "make a cake"', 8, hypernyms=("make_create",), frames=(8, 11)),
    S(V, "verb.change", ["make"], 'put in order or neaten; "make the bed"', 2, frames=(8,)),
    S(V, "verb.creation", ["cook", "fix", "make"], 'prepare for eating by applying heat; "Cook me dinner, please"; "can you make me an omelette?"', 0, hypernyms=("make_create",), frames=(8,)),
    S(N, "noun.artifact", ["cake"], "a block of solid substance (such as soap or wax)", 2),
    S(N, "noun.food", ["cake"], "baked goods made from or based on a mixture of flour, sugar, eggs, and fat", 1, hypernyms=("baked_goods",)),
    S(N, "noun.artifact", ["bed"], "a piece of furniture that provides a place to sleep", 51),
    S(N, "noun.food", ["sandwich"], "two (or more) slices of bread with a filling between them", 6, hypernyms=("dish",)),
    # -- play: the instrument or the game -------------------------------------------------------
    S(V, "verb.competition", ["play"], 'participate in games or sport; "We played hockey all afternoon"; "play cards"', 70, frames=(2, 8)),
    S(V, "verb.creation", ["play"], 'play on an instrument; "The band played all night long"', 29, frames=(1, 2)),
    S(V, "verb.creation", ["play"], 'perform music on (a musical instrument); "He plays the flute"', 8, frames=(8,)),
    S(N, "noun.artifact", ["cello", "violoncello"], "a large stringed instrument; seated player holds it upright while playing", 0, hypernyms=("stringed",)),
    S(N, "noun.artifact", ["guitar"], "a stringed instrument usually having six strings; played by strumming or plucking", 3, hypernyms=("stringed",)),
    S(N, "noun.artifact", ["flute", "transverse flute"], "a high-pitched woodwind instrument; a slender tube closed at one end", 1, hypernyms=("musical_instrument",)),
    S(N, "noun.act", ["tennis", "lawn tennis"], "a game played with rackets by two or four players who hit a ball back and forth over a net", 1, hypernyms=("court_game",)),
    # -- food, not the plant ----------------------------------------------------------------------
    S(V, "verb.contact", ["cut"], 'separate with or as if with an instrument; "Cut the rope"; "cut the bread"', 58, frames=(8, 11)),
    S(N, "noun.plant", ["pineapple", "pineapple plant"], "a tropical American plant bearing a large fleshy edible fruit", 0, hypernyms=("herb",)),
    S(N, "noun.food", ["pineapple", "ananas"], "large sweet fleshy tropical fruit with a terminal tuft of stiff leaves", 0, hypernyms=("edible_fruit",)),
    S(V, "verb.consumption", ["eat"], 'take in solid food; "She was eating a banana"', 61, frames=(2, 8)),
    # -- cricket: the game, not the insect -------------------------------------------------------------
    S(N, "noun.animal", ["cricket"], "leaping insect; male makes chirping noises by rubbing the forewings together", 1),
    S(N, "noun.act", ["cricket"], "a game played with a ball and bat by two teams of 11 players", 0, key="cricket_game", hypernyms=("field_game",)),
    S(V, "verb.motion", ["bowl"], "roll (a ball)", 0, frames=(8,)),
    S(V, "verb.contact", ["bowl"], "hurl a cricket ball from one end of the pitch towards the batsman at the other end", 0, frames=(8,), domain="cricket_game"),
    # -- word forms -----------------------------------------------------------------------------------
    S(V, "verb.contact", ["massage"], "manually manipulate (someone's body), usually for medicinal or relaxation purposes", 1, frames=(8, 9)),
    S(N, "noun.attribute", ["legs"], "staying power", 0),
    S(N, "noun.body", ["leg"], "a human limb; commonly used to refer to a whole limb", 75),
    S(V, "verb.contact", ["clean", "make clean"], 'make clean by removing dirt, filth, or unwanted substances from; "Clean the stove!"', 16, frames=(8,)),
    S(N, "noun.communication", ["Windows"], "(trademark) an operating system with a graphical user interface", 0),
    S(N, "noun.artifact", ["window"], "a framework of wood or metal that contains a glass windowpane and is built into a wall or roof", 72),
    S(V, "verb.contact", ["open", "open up"], 'cause to open or to become open; "Mary opened the car door"', 66, frames=(8, 11)),
    S(N, "noun.time", ["present", "nowadays"], "the period of time that is happening now", 17),
    S(N, "noun.possession", ["present"], "something presented as a gift", 4),
    S(A, "adj.all", ["present"], "temporal sense; intermediate between past and future; now existing or happening", 60),
    S(V, "verb.contact", ["hug", "embrace", "squeeze"], "squeeze (someone) tightly in your arms, usually with fondness", 6, frames=(9,), derived=()),
    S(N, "noun.act", ["caressing", "cuddling", "hugging", "kissing"], "affectionate play (or foreplay without contact with the genital organs)", 1),
    # -- qualifiers ---------------------------------------------------------------------------------
    S(V, "verb.contact", ["hurl", "hurtle", "cast"], 'throw forcefully; "He hurled his coffee cup across the room"', 9, frames=(8,)),
    S(N, "noun.act", ["hurling"], "a traditional Irish game resembling hockey; played by two teams of 15 players each", 0, hypernyms=("field_game",)),
    S(V, "verb.contact", ["tie", "bind"], 'fasten or secure with a rope, string, or cord; "They tied their victim to the chair"', 13, frames=(8, 21)),
    S(N, "noun.artifact", ["knot"], "any of various fastenings formed by looping and tying a rope (or cord) upon itself", 2),
    S(N, "noun.artifact", ["tie", "necktie"], "neckwear consisting of a long narrow piece of material worn under a collar", 5),
    # -- a gloss that restates the word, and a very short one -------------------------------------------
    S(V, "verb.contact", ["wax"], 'cover with wax; "wax the car"', 2, frames=(8,)),
    S(V, "verb.change", ["wax", "mount"], 'go up or advance; "Sales were climbing after prices were lowered"', 1, frames=(1,)),
    S(V, "verb.competition", ["golf"], "play golf", 0, frames=(2,)),
    S(N, "noun.act", ["golf", "golf game"], "a game played on a large open course with 9 or 18 holes", 9, hypernyms=("field_game",)),
    # -- multiword entries --------------------------------------------------------------------------------
    S(V, "verb.body", ["shake hands"], "take someone's hands and shake them as a gesture of greeting or congratulation", 2, frames=(2,)),
    S(V, "verb.weather", ["snuff out", "blow out", "extinguish"], 'put out, as of fires, flames, or lights; "blow out the candles"', 0, frames=(8, 11)),
    S(V, "verb.body", ["blow"], 'exhale hard; "blow on the soup to cool it down"', 6, frames=(2,)),
    S(N, "noun.artifact", ["candle", "taper"], "stick of wax with a wick in the middle", 4),
    S(N, "noun.artifact", ["hula hoop", "hula-hoop"], "plaything consisting of a tubular plastic hoop for swinging around the hips", 0),
    S(V, "verb.contact", ["hoop"], "bind or fasten with a hoop", 0, frames=(8,)),
    S(N, "noun.act", ["hula"], "a Polynesian rain dance performed by a woman", 0),
    # -- a proper noun never defines a class --------------------------------------------------------------
    S(N, "noun.person", ["Burger", "Warren Burger"], "United States jurist appointed chief justice of the United States Supreme Court", 0, instance_of="judge"),
    S(N, "noun.food", ["burger", "hamburger"], "a sandwich consisting of a fried cake of minced beef served on a bun", 0, hypernyms=("dish",)),
]
# as in Debian's verb.exc: doubled consonants are exceptions to the detachment rules
SENSE_EXCEPTIONS = {"verb": ["cutting cut", "hugging hug"]}


def sense_wordnet(folder: Path) -> Path:
    return write_wordnet(folder, SENSE_VOCABULARY, SENSE_EXCEPTIONS)
