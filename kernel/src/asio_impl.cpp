// Asio is compiled once, here (BOOST_ASIO_SEPARATE_COMPILATION), not in every user.
#include <boost/asio/impl/src.hpp>
